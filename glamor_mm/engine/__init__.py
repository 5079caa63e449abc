from . import hooks  # noqa: F401
from .dist import CPUDistributedDataParallel, setup_cpu_distributed

__all__ = ['CPUDistributedDataParallel', 'setup_cpu_distributed']
