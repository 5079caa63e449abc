from .checkpoint import (UntrustedCheckpointError, mmengine_safe_globals,
                         safe_torch_load, trust_checkpoint)

__all__ = [
    'UntrustedCheckpointError', 'mmengine_safe_globals', 'safe_torch_load',
    'trust_checkpoint'
]
