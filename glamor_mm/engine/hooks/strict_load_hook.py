"""Fail when the checkpoint a Runner loads does not fit its model."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS

from glamor_mm.utils.state_dict_check import (check_state_dict_fits,
                                              checkpoint_state_dict)


@HOOKS.register_module()
class StrictLoadHook(Hook):
    """Raise instead of MMEngine's warnings when a loaded checkpoint has
    missing, unexpected or mis-shaped tensors.

    The ``Runner`` loads ``load_from`` (and ``--resume`` checkpoints) with
    ``strict=False`` and only logs what did not fit, so ``tools/test.py``
    with the wrong checkpoint reported the metrics of random weights.
    ``tools/test.py`` adds this hook unless ``--partial-load`` is given; it
    checks the checkpoint in ``after_load_checkpoint``, before the weights
    are copied into the model.

    Args:
        opt_in (str): How the user asks for a partial load, for the error.
            Defaults to ``'pass --partial-load to tools/test.py'``.
    """

    priority = 'VERY_HIGH'

    def __init__(self,
                 opt_in: str = 'pass --partial-load to tools/test.py') -> None:
        self.opt_in = opt_in

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Check ``checkpoint`` against the (unwrapped) model.

        Raises:
            CheckpointMismatchError: The tensors do not fit.
        """
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        check_state_dict_fits(model, checkpoint_state_dict(checkpoint),
                              str(runner._load_from), self.opt_in)
