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
``tools/test.py``, which also covers the checkpoints of ``Pretrained``
inits; ``--trust-dump`` in the analysis tools).

Every checkpoint these loaders read is first checked for integrity
(:func:`checkpoint_file_problem`: not empty, not truncated, the CRC-32 of
every record of torch's zip format matches) and must hold a dict; otherwise
:class:`CorruptCheckpointError` names the file and the problem.

Prediction dumps (``tools/test.py --out``, plain pickles) are read through
the same weights-only unpickler and allow-list (:func:`safe_pickle_load`).
Downloads are cached per URL (:func:`http_cache_path`), so trust given to
one URL never covers a file from another. torch older than 2.6 has no
``safe_globals`` and is refused (:func:`check_torch_version`).
"""
import hashlib
import io
import os
import os.path as osp
import pickle
import re
import zipfile
from typing import Any, Callable, List, Mapping, Optional, Set, Tuple, Union
from urllib.parse import urlparse

import numpy as np
import torch
from mmengine.dist import get_dist_info
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner import CheckpointLoader
from mmengine.utils import digit_version
from torch import _weights_only_unpickler

MIN_TORCH_VERSION = '2.6.0'
CHECKPOINT_OPT_IN = '--trust-checkpoint to tools/train.py or tools/test.py'
DUMP_OPT_IN = ('--trust-dump to tools/analysis_tools/confusion_matrix.py or '
               'stuart_maxwell.py')


def check_torch_version(version: str) -> None:
    """Refuse a torch without safe ``weights_only`` loading.

    ``torch.serialization.safe_globals`` (which lets MMEngine's own
    checkpoints load with ``weights_only=True``) and the ``weights_only=True``
    default of every other ``torch.load`` in MMEngine/MMDet/MMPretrain came
    with torch 2.6. On an older torch, glamor_mm could either refuse its own
    checkpoints or unpickle every file unrestricted, so it refuses that torch
    (``tools/setup_env.sh`` does too).

    Args:
        version (str): ``torch.__version__``.

    Raises:
        ImportError: If ``version`` is older than 2.6.
    """
    if digit_version(version) < digit_version(MIN_TORCH_VERSION):
        raise ImportError(
            f'glamor_mm needs torch >= {MIN_TORCH_VERSION} (found torch '
            f'{version}): older torch cannot load checkpoints safely '
            '(weights_only with safe_globals). Upgrade torch, e.g. '
            "pip install 'torch>=2.6' (with --index-url for a CUDA build), "
            'then re-run tools/setup_env.sh.')


check_torch_version(torch.__version__)

_TRUSTED: Set[str] = set()


class UntrustedCheckpointError(pickle.UnpicklingError):
    """A checkpoint needs types that safe loading does not allow."""


class CorruptCheckpointError(ValueError):
    """A checkpoint file is empty, truncated, damaged, or holds no
    checkpoint."""


def checkpoint_file_problem(filename: str) -> Optional[str]:
    """Why ``filename`` is not an intact ``torch.save`` file, if it is not.

    Nothing is unpickled. ``torch.save`` writes a zip archive (stored, not
    compressed) with a CRC-32 of every record, but ``torch.load`` checks
    neither the CRCs nor, for a cut file, more than it needs: a flipped
    byte in a tensor loads as a changed weight. This reads the whole file
    once and checks every record's CRC (:meth:`zipfile.ZipFile.testzip`).
    Files in the format of torch < 1.6 (a pickle, no checksums) are only
    checked for being non-empty.

    Args:
        filename (str): Local checkpoint file.

    Returns:
        str | None: The problem (``'it is empty (0 bytes)...'``, ``'the
        CRC-32 of its record ... does not match...'``, ...), or None if the
        file is intact as far as its format tells.

    Raises:
        OSError: The file cannot be opened.
    """
    with open(filename, 'rb') as f:
        head = f.read(4)
        if not head:
            return ('it is empty (0 bytes; was the run that saved it killed '
                    'or the disk full?)')
        if head[0] == pickle.PROTO[0]:  # format of torch < 1.6
            return None
        if head != b'PK\x03\x04':
            return ('it is not a torch.save file (neither a zip archive nor '
                    'a pickle)')
        try:
            with zipfile.ZipFile(f) as archive:
                bad = archive.testzip()
        except (zipfile.BadZipFile, EOFError, ValueError) as e:
            return f'its zip archive is truncated or damaged ({e})'
    if bad is not None:
        return (f'the CRC-32 of its record {bad} does not match its data '
                '(a changed or damaged byte)')
    return None


def check_checkpoint_file(filename: str, shown: Optional[str] = None) -> None:
    """Raise unless ``filename`` passes :func:`checkpoint_file_problem`.

    Args:
        filename (str): Local checkpoint file.
        shown (str, optional): Its name in the error (e.g. its URL).
            Defaults to ``filename``.

    Raises:
        CorruptCheckpointError: The file is empty, truncated or damaged.
    """
    problem = checkpoint_file_problem(filename)
    if problem:
        raise CorruptCheckpointError(
            f'Cannot load {shown or filename}: {problem}.')


def _checked_structure(checkpoint: Any, shown: str) -> Any:
    """``checkpoint``, after checking that it is a dict (a state dict, or a
    dict with a ``state_dict`` dict) as every checkpoint loader expects."""
    state_dict = checkpoint.get('state_dict', checkpoint) if isinstance(
        checkpoint, Mapping) else checkpoint
    if not isinstance(state_dict, Mapping):
        held = (f'its state_dict is a {type(state_dict).__name__}'
                if state_dict is not checkpoint else
                f'it holds a {type(checkpoint).__name__}')
        raise CorruptCheckpointError(
            f'{shown} is not a checkpoint: {held}, not a dict of tensors '
            '(a state dict, or a dict with a "state_dict" entry, as '
            'torch.save(model.state_dict()) or MMEngine write).')
    return checkpoint


def _unreadable(filename: str, error: BaseException) -> CorruptCheckpointError:
    """The error for a file that ``torch.load`` fails to read."""
    reason = str(error).splitlines()[0] if str(error) else type(error).__name__
    return CorruptCheckpointError(
        f'Cannot read {filename} as a PyTorch checkpoint (truncated or '
        f'corrupted file, or not written by torch.save): {reason}')


# what torch.load raises for a damaged file
_READ_ERRORS = (RuntimeError, pickle.UnpicklingError, EOFError, ValueError,
                IndexError, AssertionError)


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
            f'{opt_in}, or call glamor_mm.utils.trust_checkpoint({shown!r}) '
            f'before loading. (torch: {reason})') from None


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
    except _READ_ERRORS as e:
        raise _unreadable(shown, e) from e
    return _checked_structure(checkpoint, shown)


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
                f'{opt_in}, or call glamor_mm.utils.trust_checkpoint('
                f'{filename!r}) before loading.')
        return _restricted(
            lambda: _weights_only_unpickler.load(f, encoding='utf-8'),
            filename, filename, opt_in)


def pretrained_checkpoints(cfg: Any) -> List[str]:
    """Checkpoints named by ``init_cfg=dict(type='Pretrained', ...)``.

    Args:
        cfg (Any): A config or any part of it (dicts and lists are searched).

    Returns:
        list[str]: The ``checkpoint`` of every ``Pretrained`` init.
    """
    if isinstance(cfg, dict):
        found = []
        if str(cfg.get('type', '')).split('.')[-1] == 'Pretrained' and \
                cfg.get('checkpoint'):
            found.append(cfg['checkpoint'])
        for value in cfg.values():
            found += pretrained_checkpoints(value)
        return found
    if isinstance(cfg, (list, tuple)):
        return [ckpt for item in cfg for ckpt in pretrained_checkpoints(item)]
    return []


def trust_config_checkpoints(cfg: Any) -> List[str]:
    """Trust ``cfg.load_from`` and every ``Pretrained`` init checkpoint
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


def http_cache_path(url: str, model_dir: Optional[str] = None) -> str:
    """Where :func:`load_from_http` keeps the download of ``url``.

    The file keeps its name inside a folder named after the SHA-256 of the
    whole URL, so two URLs that end in the same file name never share a
    cached file (nor the trust given to one of them).

    Args:
        url (str): The checkpoint URL.
        model_dir (str, optional): Download folder. Defaults to torch hub's
            ``checkpoints`` folder.

    Returns:
        str: The cache path.
    """
    model_dir = model_dir or osp.join(torch.hub.get_dir(), 'checkpoints')
    name = osp.basename(urlparse(url).path) or 'checkpoint.pth'
    digest = hashlib.sha256(url.encode('utf-8')).hexdigest()[:16]
    return osp.join(model_dir, digest, name)


def load_from_http(
    filename: str,
    map_location: Optional[Any] = None,
    model_dir: Optional[str] = None,
    progress: bool = os.isatty(0)) -> Any:
    """MMEngine checkpoint loader for http(s) URLs.

    Downloads into :func:`http_cache_path` unless the file is there, then
    loads it like :func:`load_from_local`. As in MMEngine, rank 0 downloads
    first; after a barrier every other rank downloads too if it does not
    see the file (nodes without a shared file system). Like MMEngine, it
    does not check a hash in the file name.

    Args:
        filename (str): URL of the checkpoint.
        map_location (Any, optional): Same as :func:`torch.load`.
        model_dir (str, optional): Download folder. Defaults to None.
        progress (bool): Show a progress bar. Defaults to whether stdin is
            a terminal, as in MMEngine.

    Returns:
        Any: The loaded checkpoint.
    """
    cached = http_cache_path(filename, model_dir)

    def download() -> None:
        if not osp.exists(cached):
            os.makedirs(osp.dirname(cached), exist_ok=True)
            # writes a temporary file, then renames it
            torch.hub.download_url_to_file(
                filename, cached, None, progress=progress)

    rank, world_size = get_dist_info()
    if rank == 0:
        download()
    if world_size > 1:
        torch.distributed.barrier()
        if rank > 0:
            download()
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
    :func:`pickled_globals`, which only parses the pickle) to an
    :class:`InertObject` subclass. Tensors come
    back as tensors; the foreign objects come back inert.

    Args:
        filename (str): Local checkpoint file (torch's zip format, or the
            format of torch < 1.6).
        map_location (Any, optional): Same as :func:`torch.load`.
            Defaults to ``'cpu'``.

    Returns:
        Any: The loaded object, e.g. a dict with a ``state_dict``.

    Raises:
        FileNotFoundError: ``filename`` does not exist.
        CorruptCheckpointError: The file is not a readable torch
            checkpoint (empty, truncated, a record's CRC-32 wrong, another
            format, or a pickle that even inert stand-ins cannot rebuild);
            the message names the file. A ``ValueError``.
    """
    if not osp.isfile(filename):
        raise FileNotFoundError(f'Checkpoint {filename} does not exist.')
    check_checkpoint_file(filename)
    try:
        allowed = _weights_only_unpickler._get_allowed_globals()
        stand_ins = [(_inert_class(name), name)
                     for name in sorted(pickled_globals(filename))
                     if name not in allowed]
        with torch.serialization.safe_globals(stand_ins):
            return torch.load(
                filename, map_location=map_location, weights_only=True)
    except _READ_ERRORS + (OSError, ) as e:
        raise _unreadable(filename, e) from e


CheckpointLoader.register_scheme(
    prefixes='', loader=load_from_local, force=True)
CheckpointLoader.register_scheme(
    prefixes=('http://', 'https://'), loader=load_from_http, force=True)
