"""Loading weights that must fit: missing, unexpected and mis-shaped keys
are errors, not log warnings.

MMEngine loads checkpoints with ``strict=False`` (``load_from``, ``Runner``
testing, MMPretrain's inferencers, ``Pretrained`` inits): a checkpoint of
another model, or a 5-class head in a 7-class model, loads with a warning in
the log and the run reports the metrics of random weights. glamor_mm's
tools, inferencer and ``Pretrained`` init check the weights with
:func:`check_state_dict_fits` first, and load partially only when asked to.
"""
import re
from collections import OrderedDict
from typing import Any, Dict, List, Mapping, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.runner.checkpoint import _load_checkpoint, load_state_dict


class CheckpointMismatchError(RuntimeError):
    """A checkpoint's tensors do not fit the model they are loaded into."""


def _listed(names: Sequence[str], limit: int = 10) -> str:
    """``a, b, c (and N more)``."""
    shown = ', '.join(names[:limit])
    more = len(names) - limit
    return shown + (f' (and {more} more)' if more > 0 else '')


def state_dict_problems(expected: Mapping[str, torch.Tensor],
                        state_dict: Mapping[str, Any]) -> List[str]:
    """What keeps ``state_dict`` from loading with ``strict=True``.

    BatchNorm's ``num_batches_tracked`` counters are not required (MMEngine
    ignores them too; old checkpoints lack them).

    Args:
        expected (Mapping[str, Tensor]): The model's ``state_dict()``.
        state_dict (Mapping[str, Any]): The tensors to load.

    Returns:
        list[str]: Readable problems (``missing ...``, ``unexpected ...``,
        ``wrong shape ...``); empty when the tensors fit exactly.
    """
    missing = [
        k for k in expected
        if k not in state_dict and not k.endswith('num_batches_tracked')
    ]
    unexpected = [k for k in state_dict if k not in expected]
    wrong = [
        f'{k} {tuple(v.shape)} (model: {tuple(expected[k].shape)})'
        for k, v in state_dict.items() if k in expected
        and hasattr(v, 'shape') and tuple(v.shape) != tuple(expected[k].shape)
    ]
    problems = []
    if missing:
        problems.append(f'{len(missing)} missing: {_listed(missing)}')
    if unexpected:
        problems.append(f'{len(unexpected)} unexpected: {_listed(unexpected)}')
    if wrong:
        problems.append(f'{len(wrong)} of the wrong shape: {_listed(wrong)}')
    return problems


def checkpoint_state_dict(checkpoint: Mapping) -> Dict[str, Any]:
    """The model tensors of a loaded checkpoint, keyed as MMEngine loads
    them (``state_dict`` if present, ``module.`` prefixes removed).

    Args:
        checkpoint (Mapping): What ``torch.load`` returned.

    Returns:
        dict: The state dict.
    """
    state_dict = checkpoint.get('state_dict', checkpoint)
    return OrderedDict((re.sub(r'^module\.', '', k), v)
                       for k, v in state_dict.items() if k != '_metadata')


def check_state_dict_fits(module: nn.Module,
                          state_dict: Mapping[str, Any],
                          source: str,
                          opt_in: str,
                          ignore_unexpected: bool = False) -> None:
    """Raise unless ``state_dict`` loads into ``module`` exactly.

    Args:
        module (nn.Module): The model (unwrapped) or sub-module.
        state_dict (Mapping[str, Any]): The tensors to load.
        source (str): The checkpoint, named in the error.
        opt_in (str): How the user asks for a partial load, for the error.
        ignore_unexpected (bool): Accept tensors the module has no place
            for (a ``Pretrained`` backbone from a whole-classifier file).
            Defaults to False.

    Raises:
        CheckpointMismatchError: Keys are missing, unexpected or of the
            wrong shape; the message lists them.
    """
    problems = state_dict_problems(module.state_dict(), state_dict)
    if ignore_unexpected:
        problems = [p for p in problems if ' unexpected: ' not in p]
    if problems:
        raise CheckpointMismatchError(
            f'The weights in {source} do not fit {type(module).__name__}: ' +
            '; '.join(problems) + f'. Loading them would leave the model '
            f'partly random. If that is what you want, {opt_in}.')


def load_checkpoint_checked(model: nn.Module,
                            filename: str,
                            partial: bool = False,
                            opt_in: str = 'pass partial=True',
                            map_location: Optional[Any] = 'cpu') -> dict:
    """``mmengine.runner.load_checkpoint`` that fails on a mismatch.

    Args:
        model (nn.Module): The model to load into.
        filename (str): Checkpoint file or URL.
        partial (bool): Load whatever fits, with MMEngine's warnings,
            instead of failing. Defaults to False.
        opt_in (str): How the caller's user asks for ``partial``, for the
            error. Defaults to ``'pass partial=True'``.
        map_location (Any, optional): Same as :func:`torch.load`.
            Defaults to 'cpu'.

    Returns:
        dict: The loaded checkpoint.

    Raises:
        CheckpointMismatchError: ``partial`` is False and the checkpoint
            does not fit ``model``.
    """
    checkpoint = _load_checkpoint(filename, map_location=map_location)
    state_dict = checkpoint_state_dict(checkpoint)
    if not partial:
        check_state_dict_fits(model, state_dict, filename, opt_in)
    load_state_dict(model, state_dict, strict=False, logger='current')
    return checkpoint
