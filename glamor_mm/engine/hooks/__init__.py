from .fusion_weight_hook import FusionWeightHook
from .num_class_check_hook import NumClassCheckHook
from .zeroed_face_hook import ZeroedFaceHook

__all__ = ['FusionWeightHook', 'NumClassCheckHook', 'ZeroedFaceHook']
