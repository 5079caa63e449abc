"""Fail when the checkpoint a Runner loads does not fit its model."""
from typing import Any

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS

from glamor_mm.checkpoint import (check_state_dict_fits,
                                              checkpoint_state_dict)


@HOOKS.register_module()
class StrictLoadHook(Hook):
    """Raise instead of MMEngine's warnings when a loaded checkpoint has
    missing, unexpected or mis-shaped tensors.

    The ``Runner`` loads ``load_from`` (and ``--resume`` checkpoints) with
    ``strict=False`` and only logs what did not fit, so ``tools/test.py``
    with the wrong checkpoint reported the metrics of random weights.
    ``tools/test.py`` and ``tools/train.py`` add this hook
    (:func:`add_strict_load_hook`) unless ``--partial-load`` is given, and
    ``tools/train.py`` always when it resumes; it checks the checkpoint in
    ``after_load_checkpoint``, before the weights are copied into the model
    and, on resume, before the optimizer state is restored (whose shapes
    would otherwise fail with an error that names neither the checkpoint
    nor the parameter).

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


def add_strict_load_hook(cfg: Any, opt_in: str) -> None:
    """Append a :class:`StrictLoadHook` to ``cfg.custom_hooks``.

    Args:
        cfg (Config): The run's config.
        opt_in (str): How the user asks for a partial load, for the error.
    """
    cfg.custom_hooks = list(cfg.get('custom_hooks', None) or
                            []) + [dict(type='StrictLoadHook', opt_in=opt_in)]
