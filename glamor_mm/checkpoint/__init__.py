"""Checkpoint safety: restricted unpickling (:mod:`.safe_unpickle`), file
integrity and atomic saves (:mod:`.file_integrity`), MMEngine's loaders for
local files and URLs (:mod:`.loaders`), checked state-dict loading
(:mod:`.state_dict_check`) and what the model converters share
(:mod:`.conversion`)."""
from .file_integrity import (AtomicLocalBackend, CorruptCheckpointError,
                             check_checkpoint_file, checkpoint_file_problem,
                             is_readable_checkpoint, remove_stale_temp_files,
                             resumable_checkpoint)
from .loaders import http_cache_path
from .safe_unpickle import (UntrustedCheckpointError, mmengine_safe_globals,
                            pretrained_checkpoints, safe_pickle_load,
                            safe_torch_load, trust_checkpoint,
                            trust_config_checkpoints)
from .state_dict_check import (CheckpointMismatchError, casts_exactly,
                               check_state_dict_fits, checkpoint_state_dict,
                               init_model_checked, load_checkpoint_checked,
                               read_checkpoint, state_dict_problems)

__all__ = [
    'AtomicLocalBackend', 'CheckpointMismatchError', 'CorruptCheckpointError',
    'UntrustedCheckpointError', 'casts_exactly', 'check_checkpoint_file',
    'check_state_dict_fits', 'checkpoint_state_dict',
    'checkpoint_file_problem', 'http_cache_path', 'init_model_checked',
    'is_readable_checkpoint', 'load_checkpoint_checked',
    'mmengine_safe_globals', 'pretrained_checkpoints', 'read_checkpoint',
    'remove_stale_temp_files', 'resumable_checkpoint', 'safe_pickle_load',
    'safe_torch_load', 'trust_checkpoint', 'trust_config_checkpoints'
]
