from .checkpoint_hook import SafeCheckpointHook
from .compile_model_hook import CompileModelHook, compile_modules
from .fusion_weight_hook import FusionWeightHook
from .num_class_check_hook import NumClassCheckHook
from .strict_load_hook import StrictLoadHook, add_strict_load_hook
from .zeroed_face_hook import ZeroedFaceHook

__all__ = [
    'CompileModelHook', 'compile_modules', 'FusionWeightHook',
    'NumClassCheckHook', 'SafeCheckpointHook', 'StrictLoadHook',
    'ZeroedFaceHook', 'add_strict_load_hook'
]
