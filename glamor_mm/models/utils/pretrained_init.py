"""``init_cfg=dict(type='StrictPretrained', ...)``: MMEngine's ``Pretrained``
init that fails on a mismatch, and how to tell that an ``init_cfg`` loads a
checkpoint."""
from typing import List, Optional, Union

import torch.nn as nn
from mmengine.model.weight_init import PretrainedInit, update_init_info
from mmengine.runner.checkpoint import load_state_dict
from mmengine.registry import WEIGHT_INITIALIZERS

from glamor_mm.checkpoint import (CheckpointMismatchError,
                                  check_state_dict_fits, read_checkpoint)

# the init_cfg types that load a checkpoint
PRETRAINED_TYPES = ('StrictPretrained', 'Pretrained')


def loads_pretrained(init_cfg: Union[dict, List[dict], None]) -> bool:
    """Whether ``init_cfg`` (of an MMEngine ``BaseModule``) loads weights
    from a checkpoint (``type='StrictPretrained'`` or ``'Pretrained'``)."""
    cfgs = init_cfg if isinstance(init_cfg, list) else [init_cfg]
    for cfg in filter(None, cfgs):
        kind = cfg.get('type')
        if kind in PRETRAINED_TYPES or (isinstance(kind, type)
                                        and issubclass(kind, PretrainedInit)):
            return True
    return False


@WEIGHT_INITIALIZERS.register_module(name='StrictPretrained')
class StrictPretrainedInit(PretrainedInit):
    """MMEngine's ``Pretrained`` init, failing instead of warning.

    ``init_cfg=dict(type='StrictPretrained', ...)``; registered in MMEngine's
    root registry, so that it resolves in any scope (as ``Pretrained``
    does), also when a model is initialised outside a ``Runner``. MMEngine's
    version logs a warning and leaves the module random where the
    checkpoint does not fit (a prefix that matches the wrong module, none
    at all, a different architecture).
    This one raises :class:`~glamor_mm.checkpoint.CheckpointMismatchError`
    naming the file, the prefix and the keys when

    * no key of the checkpoint starts with ``prefix``;
    * a tensor of the module is missing or has another shape (unless
      ``partial=True``);
    * nothing at all fits the module (even with ``partial=True``).

    Tensors of the checkpoint that the module has no place for are allowed
    (a backbone initialised from a whole-classifier file without a prefix).

    As MMEngine does for ``Pretrained``, the module's children initialise
    themselves first and the checkpoint is loaded over them. Some
    MMPretrain backbones skip a step of their own initialisation only for
    the type name ``'Pretrained'`` (ResNet's ``zero_init_residual``, the
    position embeddings of the transformers): switch it off in the config.

    Args:
        checkpoint (str): Checkpoint file or URL.
        prefix (str, optional): Load the tensors under this prefix (e.g.
            ``'backbone.'``), with the prefix removed. Defaults to None.
        map_location (str): Same as :func:`torch.load`. Defaults to 'cpu'.
        partial (bool): Allow missing and mis-shaped tensors (they keep
            their initialisation; MMEngine logs them). Defaults to False.
    """

    def __init__(self,
                 checkpoint: str,
                 prefix: Optional[str] = None,
                 map_location: str = 'cpu',
                 partial: bool = False) -> None:
        super().__init__(checkpoint, prefix, map_location)
        self.partial = partial

    def __call__(self, module: nn.Module) -> None:
        # MMEngine's BaseModule.init_weights runs a 'Pretrained' init after
        # the module's children have initialised themselves, any other type
        # before: initialise them here, so that they keep the loaded weights
        _init_children(module)
        _, state_dict = read_checkpoint(self.checkpoint, self.map_location)
        source = self.checkpoint
        if self.prefix is not None:
            prefix = self.prefix if self.prefix.endswith('.') else \
                f'{self.prefix}.'
            source = f'{self.checkpoint} under prefix {prefix!r}'
            heads = sorted({k.split('.')[0] + '.' for k in state_dict})
            state_dict = {
                k[len(prefix):]: v
                for k, v in state_dict.items() if k.startswith(prefix)
            }
            if not state_dict:
                raise CheckpointMismatchError(
                    f'Pretrained init: no key of {self.checkpoint} starts '
                    f'with the prefix {prefix!r}; its keys start with '
                    f'{", ".join(heads[:10])}.')
        expected = module.state_dict()
        if not any(key in expected for key in state_dict):
            raise CheckpointMismatchError(
                f'Pretrained init: nothing in {source} fits '
                f'{type(module).__name__} (the checkpoint has '
                f'{", ".join(list(state_dict)[:5])}...; the module has '
                f'{", ".join(list(expected)[:5])}...).')
        if not self.partial:
            check_state_dict_fits(
                module,
                state_dict,
                f'{source} (Pretrained init)',
                'set partial=True in the init_cfg',
                ignore_unexpected=True)
        load_state_dict(module, state_dict, strict=False, logger='current')
        if hasattr(module, '_params_init_info'):
            update_init_info(module, init_info=self._get_init_info())


def _init_children(module: nn.Module) -> None:
    """Run the ``init_weights`` of ``module``'s children, as MMEngine's
    ``BaseModule.init_weights`` does, and mark them initialised (``is_init``)
    so that it does not run them again."""
    for child in module.children():
        if hasattr(child,
                   'init_weights') and not getattr(child, 'is_init', False):
            child.init_weights()
            child.is_init = True
