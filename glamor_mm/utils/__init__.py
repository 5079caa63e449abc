from .benchmark import (RoundsResult, add_rounds_arguments, format_rounds,
                        gflops_cells, interleaved_rounds, markdown_table,
                        matmul_gflops, medians, throughput)
from .checkpoint import (InertObject, UntrustedCheckpointError,
                         http_cache_path, load_foreign_checkpoint,
                         mmengine_safe_globals, pretrained_checkpoints,
                         safe_pickle_load, safe_torch_load, trust_checkpoint,
                         trust_config_checkpoints)
from .package_files import resolve_config_path

__all__ = [
    'InertObject', 'RoundsResult', 'UntrustedCheckpointError',
    'add_rounds_arguments', 'format_rounds', 'gflops_cells', 'http_cache_path',
    'interleaved_rounds', 'load_foreign_checkpoint', 'markdown_table',
    'matmul_gflops', 'medians', 'mmengine_safe_globals',
    'pretrained_checkpoints', 'resolve_config_path', 'safe_pickle_load',
    'safe_torch_load', 'throughput', 'trust_checkpoint',
    'trust_config_checkpoints'
]
