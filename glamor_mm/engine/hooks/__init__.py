from .fusion_weight_hook import FusionWeightHook

__all__ = ['FusionWeightHook']
