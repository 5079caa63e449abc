from . import hooks  # noqa: F401
from .checkpoint_files import (AtomicLocalBackend, is_readable_checkpoint,
                               resumable_checkpoint)
from .dist import CPUDistributedDataParallel, setup_distributed

__all__ = [
    'AtomicLocalBackend', 'CPUDistributedDataParallel',
    'is_readable_checkpoint', 'resumable_checkpoint', 'setup_distributed'
]
