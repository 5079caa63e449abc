from .fusion_weight_hook import FusionWeightHook
from .strict_load_hook import StrictLoadHook

__all__ = ['FusionWeightHook', 'StrictLoadHook']
