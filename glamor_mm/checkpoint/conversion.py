"""What the model converters share: loading another code base's checkpoint
without running its code, and checking and saving the converted state dict
for MMEngine."""
import os.path as osp
from collections import OrderedDict
from typing import Any, Dict, Optional, Sequence

import torch
from torch import _weights_only_unpickler
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import save_checkpoint
from mmpretrain.registry import MODELS

from .file_integrity import (ATOMIC_BACKEND, READ_ERRORS,
                             check_checkpoint_file, unreadable_error)
from .safe_unpickle import pickled_globals
from .state_dict_check import state_dict_problems


def build_model(config: str) -> torch.nn.Module:
    """The model of a glamor_mm config, with its initial weights."""
    cfg = Config.fromfile(config)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(cfg.model)


def check_state_dict(state_dict: Dict[str, torch.Tensor], config: str,
                     source: str) -> None:
    """Check that ``state_dict`` loads with ``strict=True`` into ``config``.

    Args:
        state_dict (dict[str, Tensor]): The converted tensors.
        config (str): Path of the glamor_mm config the tensors are for.
        source (str): The converted file, named in errors.

    Raises:
        ValueError: Tensors are missing, unexpected, or of the wrong shape
            for the model of ``config``; the message names each of them,
            ``source`` and ``config``.
    """
    model = build_model(config)
    problems = state_dict_problems(model.state_dict(), state_dict)
    if problems:
        raise ValueError(
            f'The tensors converted from {source} do not fit the model of '
            f'{config}: ' + '; '.join(problems) + '.')
    model.load_state_dict(state_dict, strict=True)


def refuse_overwriting_sources(dst: str, sources: Sequence[str]) -> None:
    """Refuse an output path that is one of the input files or a folder.

    The files are compared as files (:func:`os.path.samefile`), so any
    spelling of the path, a symbolic link or a hard link to an input is
    caught.

    Args:
        dst (str): The output path.
        sources (Sequence[str]): The input files.

    Raises:
        IsADirectoryError: ``dst`` is a folder.
        ValueError: ``dst`` is one of ``sources``; the message names both.
    """
    if osp.isdir(dst):
        raise IsADirectoryError(
            f'The output {dst} is a folder; give the file to write, e.g. '
            f'{osp.join(dst, "converted.pth")}.')
    if not osp.exists(dst):
        return
    for source in sources:
        if osp.exists(source) and osp.samefile(source, dst):
            raise ValueError(
                f'The output {dst} is the input {source} (the same file): '
                'converting would replace the source. Give another output '
                'path.')


def save_converted_checkpoint(
    state_dict: Dict[str, torch.Tensor],
    config: str,
    dst: str,
    source: str,
    classes: Sequence[str],
    source_files: Sequence[str] = ()) -> None:
    """Check ``state_dict`` against ``config`` and save an MMEngine checkpoint.

    The file holds ``state_dict`` and ``meta`` (``dataset_meta.classes``,
    which ``mmpretrain.apis.init_model`` and the inferencer read, and the
    source file), only plain types and tensors, so it loads with
    ``weights_only=True``. It is written by MMEngine's ``save_checkpoint``
    through glamor_mm's atomic file backend
    (:class:`~glamor_mm.checkpoint.file_integrity.AtomicLocalBackend`): to a
    temporary file that is renamed to ``dst`` when complete and removed on
    any error, so an interrupted or failed run leaves neither a partial
    ``dst`` nor a temporary file. An output that is a folder or one of the
    input files is refused (:func:`refuse_overwriting_sources`).

    Args:
        state_dict (dict[str, Tensor]): The converted tensors.
        config (str): Path of the glamor_mm config the tensors are for.
        dst (str): Output path.
        source (str): The converted file.
        classes (Sequence[str]): Class names in the model's output order.
        source_files (Sequence[str]): Further input files (e.g. the index
            and data shards of a TensorFlow checkpoint ``source``).
            Defaults to ().
    """
    refuse_overwriting_sources(dst, [source, *source_files])
    check_state_dict(state_dict, config, source)
    checkpoint = dict(
        meta=dict(
            dataset_meta=dict(classes=list(classes)),
            converted_from=osp.abspath(source),
            config=config),
        state_dict=OrderedDict((k, v.detach().clone().contiguous())
                               for k, v in state_dict.items()))
    save_checkpoint(checkpoint, dst, backend_args=dict(backend=ATOMIC_BACKEND))


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
    except READ_ERRORS + (OSError, ) as e:
        raise unreadable_error(filename, e) from e
