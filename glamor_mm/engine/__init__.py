from . import hooks  # noqa: F401
from .bf16_amp_optim_wrapper import BF16AmpOptimWrapper, cpu_has_bf16
from .dist import CPUDistributedDataParallel, cpu_wrapper_cfg, init_distributed
from .runner import GlamorRunner

__all__ = [
    'BF16AmpOptimWrapper', 'CPUDistributedDataParallel', 'GlamorRunner',
    'cpu_has_bf16', 'cpu_wrapper_cfg', 'init_distributed'
]
