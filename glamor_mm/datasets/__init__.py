from . import transforms  # noqa: F401
from .base_emotion_dataset import BaseEmotionDataset, parse_face_bbox
from .caer_dataset import CAERDataset
from .caers_dataset import CAERSDataset
from .categories import CAER_CLASSES, normalize_class_name
from .clip_pipeline_cache import ClipPipelineCache
from .emotion_annotation_dataset import EmotionAnnotationDataset
from .ncaers_dataset import NCAERSDataset
from .pipeline_cache import TwoViewPipelineCache

__all__ = [
    'BaseEmotionDataset', 'CAERDataset', 'CAERSDataset', 'CAER_CLASSES',
    'ClipPipelineCache', 'EmotionAnnotationDataset', 'NCAERSDataset',
    'normalize_class_name', 'parse_face_bbox', 'TwoViewPipelineCache'
]
