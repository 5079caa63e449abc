from . import hooks  # noqa: F401
from .bf16_amp_optim_wrapper import BF16AmpOptimWrapper, cpu_has_bf16
from .checkpoint_files import (AtomicLocalBackend, is_readable_checkpoint,
                               remove_stale_temp_files, resumable_checkpoint)
from .dist import CPUDistributedDataParallel, setup_distributed

__all__ = [
    'AtomicLocalBackend', 'BF16AmpOptimWrapper', 'cpu_has_bf16',
    'CPUDistributedDataParallel', 'is_readable_checkpoint',
    'remove_stale_temp_files',
    'resumable_checkpoint', 'setup_distributed'
]
