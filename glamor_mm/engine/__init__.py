from . import hooks  # noqa: F401
from .dist import CPUDistributedDataParallel, cpu_wrapper_cfg, init_distributed
from .runner import GlamorRunner

__all__ = [
    'CPUDistributedDataParallel', 'GlamorRunner', 'cpu_wrapper_cfg',
    'init_distributed'
]
