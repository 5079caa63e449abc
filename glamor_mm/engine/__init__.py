from . import hooks  # noqa: F401
from .dist import CPUDistributedDataParallel, setup_distributed

__all__ = ['CPUDistributedDataParallel', 'setup_distributed']
