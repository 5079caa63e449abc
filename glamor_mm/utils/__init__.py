from .benchmark import (RoundsResult, interleaved_rounds, matmul_gflops,
                        medians, throughput)
from .checkpoint import (CorruptCheckpointError, InertObject,
                         UntrustedCheckpointError, check_checkpoint_file,
                         http_cache_path, load_foreign_checkpoint,
                         mmengine_safe_globals, pretrained_checkpoints,
                         safe_pickle_load, safe_torch_load, trust_checkpoint,
                         trust_config_checkpoints)
from .data_file import data_file_format, load_data_file
from .package_files import package_file, resolve_config_path

__all__ = [
    'CorruptCheckpointError', 'InertObject', 'RoundsResult',
    'UntrustedCheckpointError', 'check_checkpoint_file', 'data_file_format',
    'http_cache_path', 'interleaved_rounds', 'load_data_file',
    'load_foreign_checkpoint', 'matmul_gflops', 'medians',
    'mmengine_safe_globals',
    'package_file', 'pretrained_checkpoints', 'resolve_config_path',
    'safe_pickle_load', 'safe_torch_load', 'throughput', 'trust_checkpoint',
    'trust_config_checkpoints'
]
