from .apply_to_face import ApplyToFace
from .crop_face import CropFace
from .detect_face import DetectFace  # noqa: F401
from .face_box import face_box_to_pixels
from .load_video_frames import LoadVideoFrames
from .mask_face import MaskFace
from .pack_two_view_clip_inputs import PackTwoViewClipInputs
from .pack_two_view_inputs import PackTwoViewInputs
from .sample_clip_frames import SampleClipFrames

__all__ = [
    'ApplyToFace', 'CropFace', 'LoadVideoFrames', 'MaskFace',
    'PackTwoViewClipInputs', 'PackTwoViewInputs', 'SampleClipFrames',
    'face_box_to_pixels'
]
