from .checkpoint import (InertObject, UntrustedCheckpointError,
                         load_foreign_checkpoint, mmengine_safe_globals,
                         safe_torch_load, trust_checkpoint)

__all__ = [
    'InertObject', 'UntrustedCheckpointError', 'load_foreign_checkpoint',
    'mmengine_safe_globals', 'safe_torch_load', 'trust_checkpoint'
]
