"""Loading weights that must fit: missing, unexpected, non-tensor,
mis-shaped and lossily typed entries are errors, not log warnings.

MMEngine loads checkpoints with ``strict=False`` (``load_from``, ``Runner``
testing, MMPretrain's inferencers, ``Pretrained`` inits): a checkpoint of
another model, or a 5-class head in a 7-class model, loads with a warning in
the log and the run reports the metrics of random weights. glamor_mm's
tools, inferencer and ``Pretrained`` init check the weights with
:func:`check_state_dict_fits` first, and load partially only when asked to.
Inside a ``GlamorRunner`` the ``StrictLoadHook`` checks; every other tool
and API loads through :func:`load_checkpoint_checked` or
:func:`init_model_checked`.
"""
import math
import re
from collections import OrderedDict
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.runner.checkpoint import load_state_dict

from .loaders import load_checkpoint_file


class CheckpointMismatchError(RuntimeError):
    """A checkpoint's tensors do not fit the model they are loaded into."""


def _listed(names: Sequence[str], limit: int = 10) -> str:
    """``a, b, c (and N more)``."""
    shown = ', '.join(names[:limit])
    more = len(names) - limit
    return shown + (f' (and {more} more)' if more > 0 else '')


def casts_exactly(source: torch.dtype, target: torch.dtype) -> bool:
    """Whether every value of dtype ``source`` is a value of ``target``.

    ``load_state_dict`` copies a tensor into a parameter of another dtype
    silently, rounding or wrapping its values: float64 -> float32 rounds,
    float32 -> float16 overflows, int64 -> float32 rounds large integers,
    any float -> int truncates. Exact casts: bool to anything; a float to a
    float with at least its precision and range (float16 or bfloat16 ->
    float32); an int to an int whose range holds it; an int to a float whose
    significand holds all its values (int16 -> float32, int32 -> float64).

    Args:
        source (torch.dtype): The checkpoint tensor's dtype.
        target (torch.dtype): The model tensor's dtype.

    Returns:
        bool: True if the cast never changes a value.
    """
    if source == target or source == torch.bool:
        return True
    if target == torch.bool or source.is_complex or target.is_complex:
        return source.is_complex and target.is_complex and \
            torch.promote_types(source, target) == target
    if source.is_floating_point:
        if not target.is_floating_point:
            return False
        src, dst = torch.finfo(source), torch.finfo(target)
        return (dst.eps <= src.eps and dst.max >= src.max
                and dst.smallest_normal <= src.smallest_normal)
    src = torch.iinfo(source)
    if target.is_floating_point:
        digits = round(-math.log2(torch.finfo(target).eps)) + 1
        return max(src.max, -src.min) <= 2**digits
    dst = torch.iinfo(target)
    return dst.min <= src.min and dst.max >= src.max


def state_dict_problems(expected: Mapping[str, torch.Tensor],
                        state_dict: Mapping[str, Any]) -> List[str]:
    """What keeps ``state_dict`` from loading exactly with ``strict=True``.

    Each entry must be named as in the model, be a ``torch.Tensor`` (a
    numpy array or a number would be skipped by MMEngine's non-strict load,
    with a log line), have the model's shape, and have a dtype that casts
    exactly to the model's (:func:`casts_exactly`). BatchNorm's
    ``num_batches_tracked`` counters are not required (MMEngine ignores them
    too; old checkpoints lack them).

    Args:
        expected (Mapping[str, Tensor]): The model's ``state_dict()``.
        state_dict (Mapping[str, Any]): The tensors to load.

    Returns:
        list[str]: Readable problems (``missing ...``, ``unexpected ...``,
        ``not tensors ...``, ``wrong shape ...``, ``dtype ...``); empty when
        the tensors fit exactly.
    """
    missing = [
        k for k in expected
        if k not in state_dict and not k.endswith('num_batches_tracked')
    ]
    unexpected = [k for k in state_dict if k not in expected]
    common = [(k, v, expected[k]) for k, v in state_dict.items()
              if k in expected and isinstance(expected[k], torch.Tensor)]
    not_tensors = [
        f'{k} ({type(v).__module__}.{type(v).__qualname__})'
        for k, v, _ in common if not isinstance(v, torch.Tensor)
    ]
    tensors = [(k, v, e) for k, v, e in common if isinstance(v, torch.Tensor)]
    wrong = [
        f'{k} {tuple(v.shape)} (model: {tuple(e.shape)})'
        for k, v, e in tensors if tuple(v.shape) != tuple(e.shape)
    ]
    lossy = [
        f'{k} {v.dtype} (model: {e.dtype})' for k, v, e in tensors
        if not casts_exactly(v.dtype, e.dtype)
    ]
    problems = []
    for found, what in ((missing, 'missing'), (unexpected, 'unexpected'),
                        (not_tensors, 'not tensors'), (wrong,
                                                       'of the wrong shape'),
                        (lossy, 'of a dtype that does not cast exactly to '
                         "the model's")):
        if found:
            problems.append(f'{len(found)} {what}: {_listed(found)}')
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
                          opt_in: Optional[str],
                          ignore_unexpected: bool = False) -> None:
    """Raise unless ``state_dict`` loads into ``module`` exactly.

    Args:
        module (nn.Module): The model (unwrapped) or sub-module.
        state_dict (Mapping[str, Any]): The tensors to load.
        source (str): The checkpoint, named in the error.
        opt_in (str, optional): How the user asks for a partial load, for
            the error; None where a partial load makes no sense.
        ignore_unexpected (bool): Accept tensors the module has no place
            for (a ``Pretrained`` backbone from a whole-classifier file).
            Defaults to False.

    Raises:
        CheckpointMismatchError: Keys are missing or unexpected, or values
            are not tensors, or of the wrong shape or dtype (see
            :func:`state_dict_problems`); the message lists them.
    """
    problems = state_dict_problems(module.state_dict(), state_dict)
    if ignore_unexpected:
        problems = [p for p in problems if ' unexpected: ' not in p]
    if problems:
        raise CheckpointMismatchError(
            f'The weights in {source} do not fit {type(module).__name__}: ' +
            '; '.join(problems) + '. Loading them would leave the model '
            'partly random.' +
            (f' If that is what you want, {opt_in}.' if opt_in else ''))


def read_checkpoint(
        filename: str,
        map_location: Optional[Any] = 'cpu') -> Tuple[dict, Dict[str, Any]]:
    """Read a checkpoint through glamor_mm's checked file loader.

    :func:`~glamor_mm.checkpoint.loaders.load_checkpoint_file` checks its
    integrity, unpickles it safely and checks that it holds a dict.

    Args:
        filename (str): Checkpoint file or URL.
        map_location (Any, optional): Same as :func:`torch.load`.
            Defaults to 'cpu'.

    Returns:
        tuple[dict, dict]: The checkpoint and its model tensors
        (:func:`checkpoint_state_dict`).
    """
    checkpoint = load_checkpoint_file(filename, map_location)
    return checkpoint, checkpoint_state_dict(checkpoint)


def load_checkpoint_checked(model: nn.Module,
                            filename: str,
                            partial: bool = False,
                            opt_in: Optional[str] = 'pass partial=True',
                            map_location: Optional[Any] = 'cpu') -> dict:
    """``mmengine.runner.load_checkpoint`` that fails on a mismatch.

    The one way glamor_mm's tools and APIs load weights into a model
    outside a ``Runner`` (where :class:`~glamor_mm.engine.hooks.
    StrictLoadHook` makes the same check): the file is read by glamor_mm's
    checked loader (integrity, safe unpickling, see
    :mod:`glamor_mm.checkpoint.loaders`) and its tensors are checked with
    :func:`check_state_dict_fits`. Like ``mmpretrain.apis.get_model``, the
    checkpoint's ``meta['dataset_meta']`` (the class names), if any,
    becomes ``model._dataset_meta``.

    Args:
        model (nn.Module): The model to load into.
        filename (str): Checkpoint file or URL.
        partial (bool): Load whatever fits, with MMEngine's warnings,
            instead of failing. Defaults to False.
        opt_in (str, optional): How the caller's user asks for ``partial``,
            for the error (None: the caller offers no partial load).
            Defaults to ``'pass partial=True'``.
        map_location (Any, optional): Same as :func:`torch.load`.
            Defaults to 'cpu'.

    Returns:
        dict: The loaded checkpoint.

    Raises:
        CheckpointMismatchError: ``partial`` is False and the checkpoint
            does not fit ``model``.
    """
    checkpoint, state_dict = read_checkpoint(filename, map_location)
    if not partial:
        check_state_dict_fits(model, state_dict, filename, opt_in)
    load_state_dict(model, state_dict, strict=False, logger='current')
    meta = checkpoint.get('meta') or {}
    if 'dataset_meta' in meta:
        model._dataset_meta = meta['dataset_meta']
    return checkpoint


def init_model_checked(
        config: Any,
        checkpoint: Optional[str] = None,
        device: str = 'cpu',
        partial: bool = False,
        opt_in: Optional[str] = 'pass partial=True') -> nn.Module:
    """``mmpretrain.apis.get_model`` that loads with
    :func:`load_checkpoint_checked`.

    Args:
        config (str | Config): Model config.
        checkpoint (str, optional): Weights; None for the initial (random)
            ones. Defaults to None.
        device (str): Device of the model. Defaults to 'cpu'.
        partial (bool): Same as in :func:`load_checkpoint_checked`.
            Defaults to False.
        opt_in (str): Same as in :func:`load_checkpoint_checked`.
            Defaults to ``'pass partial=True'``.

    Returns:
        nn.Module: The model in eval mode, with ``_dataset_meta`` (from the
        checkpoint, else from the config's test dataset).

    Raises:
        CheckpointMismatchError: The checkpoint does not fit the model.
    """
    from mmpretrain.apis import get_model
    model = get_model(config, pretrained=False, device=device)
    if checkpoint:
        load_checkpoint_checked(model, checkpoint, partial, opt_in)
    return model
