from .benchmark import (RoundsResult, add_rounds_arguments, format_rounds,
                        interleaved_rounds, markdown_table, medians,
                        throughput)
from .data_file import data_file_format, load_data_file
from .package_files import package_file, resolve_config_path

__all__ = [
    'RoundsResult', 'add_rounds_arguments', 'data_file_format',
    'format_rounds', 'interleaved_rounds', 'load_data_file', 'markdown_table',
    'medians', 'package_file', 'resolve_config_path', 'throughput'
]
