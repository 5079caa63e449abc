"""Safe loading of MMEngine checkpoints under torch >= 2.6.

Why this module exists: torch 2.6 changed ``torch.load``'s default to
``weights_only=True``. MMEngine 0.10.7 calls ``torch.load`` without
``weights_only``, and the checkpoints its own ``Runner`` writes hold a
``HistoryBuffer`` (the message hub's logged scalars) with numpy arrays and
scalars inside, so loading them fails with ``Unsupported global: ...
HistoryBuffer``. Turning ``weights_only`` off would make every checkpoint an
arbitrary pickle that runs code when it is loaded. Instead, importing
``glamor_mm`` replaces MMEngine's local-file and http(s) checkpoint loaders
(``CheckpointLoader.register_scheme(..., force=True)``; everything that loads
a checkpoint, ``load_from``, ``resume``, ``tools/test.py``,
``mmdet.apis.init_detector`` and ``mmpretrain.apis.init_model``, goes
through them) with loaders that keep ``weights_only=True`` and allow exactly
the extra types MMEngine's own checkpoints contain (measured by saving a real
``Runner`` checkpoint): ``HistoryBuffer``, the ``getattr`` that pickles its
statistics methods (restricted to those methods), and numpy arrays, dtypes
and scalars. A checkpoint that needs anything else is refused with
:class:`UntrustedCheckpointError`; a user who trusts the file opts in with
:func:`trust_checkpoint` (``--trust-checkpoint`` in ``tools/train.py`` and
``tools/test.py``).
"""
import os
import os.path as osp
import pickle
from contextlib import nullcontext
from typing import Any, Callable, List, Optional, Set, Tuple, Union
from urllib.parse import urlparse

import numpy as np
import torch
from mmengine.dist import get_dist_info
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner import CheckpointLoader

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


def mmengine_safe_globals() -> List[Union[Callable, Tuple[Callable, str]]]:
    """The globals that MMEngine ``Runner`` checkpoints contain.

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


def _unsafe_globals(filename: str) -> str:
    """Names of the disallowed globals in ``filename``, for the error."""
    try:
        names = torch.serialization.get_unsafe_globals_in_checkpoint(filename)
    except Exception:  # old torch or legacy (non-zip) file format
        return ''
    allowed = {
        item[1] if isinstance(item, tuple) else
        f'{item.__module__}.{item.__qualname__}'
        for item in mmengine_safe_globals()
    }
    names = [name for name in names if name not in allowed]
    return f' It needs {", ".join(names)}.' if names else ''


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

    Returns:
        Any: The loaded checkpoint.

    Raises:
        UntrustedCheckpointError: The file needs other types and was not
            trusted with :func:`trust_checkpoint`.
    """
    if _trust_key(trust_key or filename) in _TRUSTED:
        return torch.load(
            filename, map_location=map_location, weights_only=False)
    allow = (
        torch.serialization.safe_globals(mmengine_safe_globals()) if hasattr(
            torch.serialization, 'safe_globals') else nullcontext())
    try:
        with allow:
            return torch.load(
                filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        # torch's message: its advice to set weights_only=False (which we
        # replace), the reason, then a pointer to its docs
        reason = ' '.join(
            line for line in str(e).splitlines()[1:] if line.strip()
            and not line.startswith(('Check the doc', 'Please file an issue')))
        shown = trust_key or filename
        raise UntrustedCheckpointError(
            f'Refusing to load checkpoint {shown}: it contains objects '
            'other than tensors and the types MMEngine checkpoints hold, '
            'and unpickling it could run arbitrary code.'
            f'{_unsafe_globals(filename)} If you trust this file, pass '
            '--trust-checkpoint to tools/train.py or tools/test.py, or call '
            f'glamor_mm.utils.trust_checkpoint({shown!r}) before loading. '
            f'(torch: {reason})'
        ) from None


def load_from_local(filename: str, map_location: Optional[Any] = None) -> Any:
    """MMEngine checkpoint loader for local files (scheme prefix '').

    Args:
        filename (str): Local checkpoint path.
        map_location (Any, optional): Same as :func:`torch.load`.

    Returns:
        Any: The loaded checkpoint.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return safe_torch_load(filename, map_location)


def load_from_http(filename: str,
                   map_location: Optional[Any] = None,
                   model_dir: Optional[str] = None) -> Any:
    """MMEngine checkpoint loader for http(s) URLs.

    Downloads once into ``model_dir`` (default: torch hub's
    ``checkpoints`` folder; rank 0 first, as MMEngine does), then loads the
    file like :func:`load_from_local`.

    Args:
        filename (str): URL of the checkpoint.
        map_location (Any, optional): Same as :func:`torch.load`.
        model_dir (str, optional): Download folder. Defaults to None.

    Returns:
        Any: The loaded checkpoint.
    """
    model_dir = model_dir or osp.join(torch.hub.get_dir(), 'checkpoints')
    cached = osp.join(model_dir, osp.basename(urlparse(filename).path))
    rank, world_size = get_dist_info()
    if rank == 0 and not osp.exists(cached):
        os.makedirs(model_dir, exist_ok=True)
        match = torch.hub.HASH_REGEX.search(osp.basename(cached))
        torch.hub.download_url_to_file(
            filename, cached, match.group(1) if match else None)
    if world_size > 1:
        torch.distributed.barrier()
    return safe_torch_load(cached, map_location, trust_key=filename)



class InertObject:
    """Stand-in for a class or function named in a foreign checkpoint.

    :func:`load_foreign_checkpoint` maps every global of the file that
    torch's ``weights_only`` unpickler does not allow to a subclass of this,
    named after it (``target``). Calling it, creating it or restoring its
    state only records the arguments in ``args`` / ``kwargs`` / ``state``:
    none of the file's code, and none of the named class's code, runs.
    """

    target = ''

    def __new__(cls, *args, **kwargs) -> 'InertObject':
        obj = super().__new__(cls)
        obj.args, obj.kwargs, obj.state = args, kwargs, None
        return obj

    def __init__(self, *args, **kwargs) -> None:
        pass  # __new__ recorded the arguments

    def __setstate__(self, state: Any) -> None:
        self.state = state

    def __repr__(self) -> str:
        return f'<inert {self.target}>'


def _inert_class(target: str) -> type:
    """A new :class:`InertObject` subclass standing for ``target``."""
    return type(f'Inert[{target}]', (InertObject, ), dict(target=target))


def load_foreign_checkpoint(filename: str,
                            map_location: Optional[Any] = 'cpu') -> Any:
    """Load a torch checkpoint from another code base without running it.

    Checkpoints written by other projects' trainers pickle their own
    objects (a config class, ``pathlib`` paths, numpy scalars...) next to the
    tensors. This loads them with torch's ``weights_only`` unpickler, the
    mechanism of :func:`safe_torch_load`, after mapping every global the
    file names beyond torch's allowed ones (listed by
    ``torch.serialization.get_unsafe_globals_in_checkpoint``, which only
    parses the pickle) to an :class:`InertObject` subclass. Tensors come
    back as tensors; the foreign objects come back inert.

    Args:
        filename (str): Local checkpoint file (torch's zip format).
        map_location (Any, optional): Same as :func:`torch.load`.
            Defaults to ``'cpu'``.

    Returns:
        Any: The loaded object, e.g. a dict with a ``state_dict``.

    Raises:
        FileNotFoundError: ``filename`` does not exist.
        ValueError: The file is not a readable torch checkpoint (truncated,
            another format, or a pickle that even inert stand-ins cannot
            rebuild); the message names the file.
    """
    if not osp.isfile(filename):
        raise FileNotFoundError(f'Checkpoint {filename} does not exist.')
    try:
        names = torch.serialization.get_unsafe_globals_in_checkpoint(filename)
        stand_ins = [(_inert_class(name), name) for name in names]
        with torch.serialization.safe_globals(stand_ins):
            return torch.load(
                filename, map_location=map_location, weights_only=True)
    except (RuntimeError, pickle.UnpicklingError, EOFError, OSError) as e:
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise ValueError(
            f'Cannot read {filename} as a PyTorch checkpoint '
            f'(truncated or corrupted file, or not written by torch.save): '
            f'{reason}') from e


CheckpointLoader.register_scheme(
    prefixes='', loader=load_from_local, force=True)
CheckpointLoader.register_scheme(
    prefixes=('http://', 'https://'), loader=load_from_http, force=True)
