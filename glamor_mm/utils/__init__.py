from .checkpoint import (UntrustedCheckpointError, http_cache_path,
                         mmengine_safe_globals, pretrained_checkpoints,
                         safe_pickle_load, safe_torch_load, trust_checkpoint,
                         trust_config_checkpoints)

__all__ = [
    'UntrustedCheckpointError', 'http_cache_path', 'mmengine_safe_globals',
    'pretrained_checkpoints', 'safe_pickle_load', 'safe_torch_load',
    'trust_checkpoint', 'trust_config_checkpoints'
]
