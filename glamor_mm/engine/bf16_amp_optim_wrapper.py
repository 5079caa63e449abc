"""bfloat16 automatic mixed precision on any device, the CPU included."""
import torch
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmpretrain.registry import OPTIM_WRAPPERS


def cpu_has_bf16() -> bool:
    """Whether the CPU computes bfloat16 natively (AVX-512 BF16 or AMX).

    Without it, oneDNN emulates bfloat16 and autocast only slows down.
    """
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


@OPTIM_WRAPPERS.register_module()
class BF16AmpOptimWrapper(AmpOptimWrapper):
    """MMEngine's ``AmpOptimWrapper`` with ``dtype='bfloat16'``, also on CPU.

    The forward pass and the loss run under ``torch.autocast`` in bfloat16
    on the device MMEngine trains on (``mmengine.device.get_device()``):
    convolutions and matrix products in bfloat16, reductions, softmax and
    losses in float32; weights, gradients and the optimizer stay float32.
    bfloat16 has float32's exponent range, so there is no loss scaling.
    MMEngine's ``AmpOptimWrapper`` refuses to be built without a GPU; this
    one is the same wrapper without that check (its state dict, with a
    disabled loss scaler, has the same keys).

    Use it with ``optim_wrapper.type='BF16AmpOptimWrapper'``, or
    ``tools/train.py --amp`` on a CPU with AVX-512 BF16 or AMX.

    Args:
        **kwargs: The arguments of ``OptimWrapper`` (``optimizer``,
            ``clip_grad``, ``accumulative_counts``).
    """

    def __init__(self, **kwargs) -> None:
        OptimWrapper.__init__(self, **kwargs)
        self._scale_update_param = None
        self.loss_scaler = torch.amp.GradScaler('cpu', enabled=False)
        self.cast_dtype = torch.bfloat16
