from .apply_to_face import ApplyToFace
from .crop_face import CropFace
from .detect_face import DetectFace  # noqa: F401
from .face_box import face_box_to_pixels
from .mask_face import MaskFace
from .pack_two_view_inputs import PackTwoViewInputs

__all__ = [
    'ApplyToFace', 'CropFace', 'MaskFace', 'PackTwoViewInputs',
    'face_box_to_pixels'
]
