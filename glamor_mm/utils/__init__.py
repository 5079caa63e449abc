from .benchmark import (RoundsResult, interleaved_rounds, matmul_gflops,
                        medians, throughput)
from .data_file import data_file_format, load_data_file
from .package_files import package_file, resolve_config_path

__all__ = [
    'RoundsResult', 'data_file_format', 'interleaved_rounds',
    'load_data_file', 'matmul_gflops', 'medians', 'package_file',
    'resolve_config_path', 'throughput'
]
