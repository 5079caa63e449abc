"""Restricted unpickling of checkpoints and prediction dumps.

torch 2.6 made ``torch.load`` default to ``weights_only=True``. MMEngine
0.10.7 calls ``torch.load`` without ``weights_only``, and the checkpoints its
own ``Runner`` writes hold a ``HistoryBuffer`` (the message hub's logged
scalars) with numpy arrays and scalars inside, so loading them fails with
``Unsupported global: ... HistoryBuffer``. Turning ``weights_only`` off would
make every checkpoint an arbitrary pickle that runs code when it is loaded.
:func:`safe_torch_load` keeps ``weights_only=True`` and allows exactly the
extra types MMEngine's own checkpoints contain (measured by saving a real
``Runner`` checkpoint): ``HistoryBuffer``, the ``getattr`` that pickles its
statistics methods (restricted to those methods), and numpy arrays, dtypes
and scalars. A checkpoint that needs anything else is refused with
:class:`UntrustedCheckpointError`; a user who trusts the file opts in with
:func:`trust_checkpoint` (``--trust-checkpoint`` in ``tools/train.py`` and
``tools/test.py``, which also covers the checkpoints of ``Pretrained``
inits; ``--trust-dump`` in the analysis tools).

Prediction dumps (``tools/test.py --out``, plain pickles) are read through
the same weights-only unpickler and allow-list (:func:`safe_pickle_load`).
torch >= 2.6 is a declared requirement (``requirements/runtime.txt``): older
torch has no ``safe_globals``. Restricted unpickling of plain pickles and the
listing of a file's globals use torch's weights-only unpickler module
(``torch._weights_only_unpickler``), which torch does not export; the
requirements bound torch to the versions this is tested with.
"""
import io
import os
import os.path as osp
import pickle
import re
import zipfile
from typing import Any, Callable, List, Optional, Set, Tuple, Union

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from torch import _weights_only_unpickler

from .file_integrity import (READ_ERRORS, check_checkpoint_file,
                             checked_structure, unreadable_error)

CHECKPOINT_OPT_IN = '--trust-checkpoint to tools/train.py or tools/test.py'
DUMP_OPT_IN = ('--trust-dump to tools/analysis_tools/confusion_matrix.py or '
               'stuart_maxwell.py')

_TRUSTED: Set[str] = set()


class UntrustedCheckpointError(pickle.UnpicklingError):
    """A checkpoint needs types that safe loading does not allow."""


def _trust_key(filename: str) -> str:
    """URLs are trusted verbatim, local files by their real path."""
    if '://' in filename:
        return filename
    return osp.realpath(osp.expanduser(filename))


class _TrustedCheckpoint:
    """Handle returned by :func:`trust_checkpoint`; as a context manager it
    withdraws the trust when the block ends."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __enter__(self) -> '_TrustedCheckpoint':
        return self

    def __exit__(self, *exc_info) -> None:
        _TRUSTED.discard(self.key)


def trust_checkpoint(filename: str) -> _TrustedCheckpoint:
    """Allow one checkpoint that you trust to be fully unpickled.

    A full unpickle can run arbitrary code stored in the file: only trust
    checkpoints from a source you trust. The trust lasts for the process,
    or for a ``with`` block::

        trust_checkpoint('old_model.pth')          # for the whole process
        with trust_checkpoint('old_model.pth'):    # only inside the block
            runner.load_checkpoint('old_model.pth')

    Args:
        filename (str): Local path (matched by its real path) or http(s) URL.

    Returns:
        _TrustedCheckpoint: A context manager that withdraws the trust on exit.
    """
    key = _trust_key(filename)
    _TRUSTED.add(key)
    return _TrustedCheckpoint(key)


def _history_buffer_getattr(obj: Any, name: str) -> Callable:
    """Stand-in for ``builtins.getattr`` while unpickling.

    A ``HistoryBuffer`` pickles its statistics methods (``min``, ``mean``,
    ...) as ``getattr(HistoryBuffer, 'min')``; this allows exactly those
    lookups and nothing else.
    """
    if obj is HistoryBuffer and not name.startswith('_') and callable(
            vars(HistoryBuffer).get(name)):
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'getattr({obj!r}, {name!r}) is not allowed in a checkpoint')


def _load_storage_from_bytes(data: bytes) -> Any:
    """Safe stand-in for ``torch.storage._load_from_bytes``.

    A tensor pickled with plain ``pickle`` (``mmengine.dump`` of a
    prediction dump) stores its data as a nested ``torch.save`` file that
    torch reads back with ``weights_only=False``; this reads it with the
    same restrictions as the outer file.
    """
    return torch.load(io.BytesIO(data), weights_only=True)


def mmengine_safe_globals() -> List[Union[Callable, Tuple[Callable, str]]]:
    """The globals that MMEngine ``Runner`` checkpoints and prediction dumps
    contain, beyond those torch allows by default.

    Returns:
        list: Items for :func:`torch.serialization.safe_globals`.
    """
    try:
        from numpy._core import multiarray  # numpy >= 2
    except ImportError:
        from numpy.core import multiarray
    safe: List[Union[Callable, Tuple[Callable, str]]] = [
        HistoryBuffer,
        (_history_buffer_getattr, 'builtins.getattr'),
        (_load_storage_from_bytes, 'torch.storage._load_from_bytes'),
        np.ndarray,
        np.dtype,
    ]
    # numpy 1 and numpy 2 write these under different module names
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        safe.append((multiarray._reconstruct, f'{module}._reconstruct'))
        safe.append((multiarray.scalar, f'{module}.scalar'))
    # dtype instances are rebuilt with BUILD, which needs their classes
    codes = np.typecodes['AllInteger'] + np.typecodes['AllFloat'] + '?'
    safe.extend({type(np.dtype(code)) for code in codes})
    return safe


def pickled_globals(filename: str) -> Set[str]:
    """The classes and functions a checkpoint or pickle file names.

    Only parses the pickle opcodes; nothing is unpickled. Covers torch's zip
    format (beyond the globals torch allows anyway), plain pickle files, and
    the format of torch < 1.6 (pickles of a magic number, the protocol, the
    system info and the object, then the storages).

    Args:
        filename (str): The file.

    Returns:
        set[str]: ``module.name`` of each global.

    Raises:
        RuntimeError | pickle.UnpicklingError | EOFError: The file is not a
            readable pickle or torch checkpoint (e.g. truncated).
    """
    with open(filename, 'rb') as f:
        if zipfile.is_zipfile(f):
            return set(
                torch.serialization.get_unsafe_globals_in_checkpoint(filename))
        f.seek(0)
        names: Set[str] = set()
        for _ in range(4):
            names |= _weights_only_unpickler.get_globals_in_pkl(f)
            if not f.read(1):
                break
            f.seek(-1, os.SEEK_CUR)
        return names


def _unsafe_globals(filename: str) -> str:
    """Names of the disallowed globals in ``filename``, for the error."""
    allowed = set(_weights_only_unpickler._get_allowed_globals()) | {
        item[1] if isinstance(item, tuple) else
        f'{item.__module__}.{item.__qualname__}'
        for item in mmengine_safe_globals()
    }
    try:
        names = pickled_globals(filename)
    except Exception:  # unreadable: torch's own message says why
        return ''
    names = sorted(name for name in names if name not in allowed)
    return f' It needs {", ".join(names)}.' if names else ''


def _restricted(load: Callable[[], Any], filename: str, shown: str,
                opt_in: str) -> Any:
    """Run ``load`` with the allowed globals; turn torch's refusal into
    :class:`UntrustedCheckpointError` naming the file and the opt-in."""
    try:
        with torch.serialization.safe_globals(mmengine_safe_globals()):
            return load()
    except pickle.UnpicklingError as e:
        # torch's message: advice to set weights_only=False (which we
        # replace), then the reason, then advice to allow-list the global
        text = ' '.join(str(e).split())
        found = re.search(r'WeightsUnpickler error: (.*?)(?: Please use|$)',
                          text)
        reason = found.group(1) if found else text
        raise UntrustedCheckpointError(
            f'Refusing to load {shown}: it contains objects other than '
            'tensors, numpy arrays and the types MMEngine checkpoints hold, '
            'and unpickling it could run arbitrary code.'
            f'{_unsafe_globals(filename)} If you trust this file, pass '
            f'{opt_in}, or call glamor_mm.checkpoint.trust_checkpoint('
            f'{shown!r}) before loading. (torch: {reason})') from None


def safe_torch_load(filename: str,
                    map_location: Optional[Any] = None,
                    trust_key: Optional[str] = None) -> Any:
    """``torch.load`` that allows only what MMEngine checkpoints contain.

    Args:
        filename (str): Local checkpoint file.
        map_location (Any, optional): Same as :func:`torch.load`.
            Defaults to None.
        trust_key (str, optional): Name under which the file may have been
            trusted (its URL for downloads). Defaults to ``filename``.

    Before anything is unpickled, the file is checked with
    :func:`checkpoint_file_problem` (empty, truncated, a record's CRC-32);
    what it holds must be a dict (a state dict, or a dict with a
    ``state_dict`` dict).

    Returns:
        Any: The loaded checkpoint.

    Raises:
        UntrustedCheckpointError: The file needs other types and was not
            trusted with :func:`trust_checkpoint`.
        CorruptCheckpointError: The file is empty, truncated or damaged, or
            holds no checkpoint; the message names it.
    """
    shown = trust_key or filename
    check_checkpoint_file(filename, shown)
    try:
        if _trust_key(shown) in _TRUSTED:
            checkpoint = torch.load(
                filename, map_location=map_location, weights_only=False)
        else:
            checkpoint = _restricted(
                lambda: torch.load(
                    filename, map_location=map_location, weights_only=True),
                filename, shown, CHECKPOINT_OPT_IN)
    except UntrustedCheckpointError:
        raise
    except READ_ERRORS as e:
        raise unreadable_error(shown, e) from e
    return checked_structure(checkpoint, shown)


def safe_pickle_load(filename: str, opt_in: str = DUMP_OPT_IN) -> Any:
    """Load a plain pickle (``mmengine.dump``, e.g. ``tools/test.py --out``)
    with the restrictions of :func:`safe_torch_load`.

    The file is read by torch's weights-only unpickler (the one behind
    ``torch.load(weights_only=True)``, which needs a ``torch.save`` file),
    so it may hold builtins, tensors, numpy arrays and scalars, and nothing
    else unless it was trusted with :func:`trust_checkpoint`. That unpickler
    reads pickle protocol 2, which ``mmengine.dump`` writes.

    Args:
        filename (str): The pickle file.
        opt_in (str): How a user trusts the file, for the error message.
            Defaults to the analysis tools' ``--trust-dump``.

    Returns:
        Any: The unpickled object.

    Raises:
        UntrustedCheckpointError: The file needs other types and was not
            trusted.
    """
    with open(filename, 'rb') as f:
        if _trust_key(filename) in _TRUSTED:
            return pickle.load(f)
        head = f.read(2)
        f.seek(0)
        if len(head) == 2 and head[0] == pickle.PROTO[0] and head[1] > 2:
            raise UntrustedCheckpointError(
                f'Refusing to load {filename}: it was written with pickle '
                f'protocol {head[1]}, and safe loading reads protocol 2, the '
                'one of mmengine.dump (tools/test.py --out). Re-dump it with '
                'mmengine.dump, or if you trust this file, pass '
                f'{opt_in}, or call glamor_mm.checkpoint.trust_checkpoint('
                f'{filename!r}) before loading.')
        return _restricted(
            lambda: _weights_only_unpickler.load(f, encoding='utf-8'),
            filename, filename, opt_in)


def pretrained_checkpoints(cfg: Any) -> List[str]:
    """Checkpoints named by ``init_cfg=dict(type='StrictPretrained', ...)``
    (or MMEngine's ``'Pretrained'``).

    Args:
        cfg (Any): A config or any part of it (dicts and lists are searched).

    Returns:
        list[str]: The ``checkpoint`` of every ``Pretrained`` init.
    """
    if isinstance(cfg, dict):
        found = []
        if str(cfg.get('type', '')).split('.')[-1] in (
                'StrictPretrained', 'Pretrained') and cfg.get('checkpoint'):
            found.append(cfg['checkpoint'])
        for value in cfg.values():
            found += pretrained_checkpoints(value)
        return found
    if isinstance(cfg, (list, tuple)):
        return [ckpt for item in cfg for ckpt in pretrained_checkpoints(item)]
    return []


def trust_config_checkpoints(cfg: Any) -> List[str]:
    """Trust ``cfg.load_from`` and every ``(Strict)Pretrained`` init checkpoint
    (``--trust-checkpoint`` of the tools).

    Args:
        cfg (Config): The full config.

    Returns:
        list[str]: The trusted checkpoints (empty if the config names
        none).
    """
    names = ([cfg.load_from] if cfg.get('load_from', None) else
             []) + pretrained_checkpoints(cfg.get('model', {}))
    for name in names:
        trust_checkpoint(name)
    return names
