from .apply_to_face import ApplyToFace
from .color_jitter import CV2ColorJitter, adjust_contrast
from .crop_face import CropFace
from .detect_face import DetectFace  # noqa: F401
from .expand_face_box import ExpandFaceBox
from .face_box import face_box_to_pixels
from .grayscale import Grayscale
from .load_video_frames import LoadVideoFrames
from .mask_face import MaskFace
from .pack_two_view_clip_inputs import PackTwoViewClipInputs
from .pack_two_view_inputs import PackTwoViewInputs
from .pad_border import PadBorder
from .sample_clip_frames import SampleClipFrames
from .wuffs_load_image_from_file import WuffsLoadImageFromFile

__all__ = [
    'ApplyToFace', 'CV2ColorJitter', 'adjust_contrast', 'CropFace',
    'ExpandFaceBox', 'Grayscale', 'LoadVideoFrames', 'MaskFace',
    'PackTwoViewClipInputs', 'PackTwoViewInputs', 'PadBorder',
    'SampleClipFrames', 'WuffsLoadImageFromFile', 'face_box_to_pixels'
]
