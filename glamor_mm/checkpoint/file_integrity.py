"""Checkpoint files that are intact and survive a kill.

Every checkpoint glamor_mm loads is first checked for integrity
(:func:`checkpoint_file_problem`: not empty, not truncated, the CRC-32 of
every record of torch's zip format matches) and must hold a dict; otherwise
:class:`CorruptCheckpointError` names the file and the problem.

MMEngine's ``LocalBackend.put`` opens the checkpoint path and writes into
it, so a job killed during a save leaves a 0-byte or truncated
``epoch_N.pth`` (and ``last_checkpoint`` pointing at it), and ``--resume``
then fails with a bare ``EOFError``. :class:`AtomicLocalBackend`, the file
backend ``'atomic_local'`` (a new name in ``mmengine.fileio``'s backends;
MMEngine's ``local`` backend stays as it is), writes a temporary file beside
the target and renames it over it only once complete; ``SafeCheckpointHook``
saves checkpoints with it. :func:`resumable_checkpoint` is what
``tools/train.py --resume`` resumes from.
"""
import logging
import os
import os.path as osp
import pickle
import re
import zipfile
from pathlib import Path
from typing import Any, List, Mapping, Optional, Union

from mmengine.fileio import LocalBackend, register_backend
from mmengine.logging import print_log
from mmengine.runner import find_latest_checkpoint

CHECKPOINT_NAME = re.compile(r'^(epoch|iter)_(\d+)\.pth$')
TEMP_SUFFIX = '.tmp'  # + the writer's process id
TEMP_NAME = re.compile(r'^.+' + re.escape(TEMP_SUFFIX) + r'(\d+)$')
ATOMIC_BACKEND = 'atomic_local'  # its name in mmengine.fileio


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


def checked_structure(checkpoint: Any, shown: str) -> Any:
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


def unreadable_error(filename: str,
                     error: BaseException) -> CorruptCheckpointError:
    """The error for a file that ``torch.load`` fails to read."""
    reason = str(error).splitlines()[0] if str(error) else type(error).__name__
    return CorruptCheckpointError(
        f'Cannot read {filename} as a PyTorch checkpoint (truncated or '
        f'corrupted file, or not written by torch.save): {reason}')


# what torch.load raises for a damaged file
READ_ERRORS = (RuntimeError, pickle.UnpicklingError, EOFError, ValueError,
               IndexError, AssertionError)


class AtomicLocalBackend(LocalBackend):
    """MMEngine's local file backend whose ``put`` is atomic.

    The bytes go to ``<path>.tmp<pid>`` in the same folder, are flushed to
    disk, and the file is then renamed to ``path`` (``os.replace`` is atomic
    on POSIX and Windows), so ``path`` always holds either its previous
    content or the complete new one. The temporary file is removed on any
    error; one left by a killed process is removed on resume
    (:func:`remove_stale_temp_files`).
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write ``obj`` to ``filepath`` atomically.

        Args:
            obj (bytes): The data.
            filepath (str | Path): The destination; its folder is created.
        """
        filepath = str(filepath)
        if osp.isdir(filepath):
            raise IsADirectoryError(
                f'Cannot write {filepath}: it is a folder; give a file name.')
        os.makedirs(osp.dirname(osp.abspath(filepath)), exist_ok=True)
        tmp = f'{filepath}{TEMP_SUFFIX}{os.getpid()}'
        try:
            with open(tmp, 'wb') as f:
                f.write(obj)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, filepath)
        except BaseException:
            if osp.exists(tmp):
                os.remove(tmp)
            raise


register_backend(ATOMIC_BACKEND, AtomicLocalBackend)


def is_readable_checkpoint(path: str) -> bool:
    """Whether ``path`` is a complete ``torch.save`` file.

    The check every checkpoint load makes
    (:func:`checkpoint_file_problem`: not
    empty, the zip archive opens, every record's CRC-32 matches). Nothing
    is unpickled.

    Args:
        path (str): The checkpoint.

    Returns:
        bool: True if the file exists and passes the check.
    """
    try:
        return checkpoint_file_problem(path) is None
    except OSError:
        return False


def _process_exists(pid: int) -> bool:
    """Whether a process ``pid`` runs on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def remove_stale_temp_files(folder: str) -> List[str]:
    """Remove the temporary files of :class:`AtomicLocalBackend` that a
    killed process left in ``folder``.

    A ``<name>.tmp<pid>`` file whose process no longer runs (or is this
    one, which is not writing at the time of the call) can never be
    completed. Files of running processes are kept.

    Args:
        folder (str): E.g. the work dir.

    Returns:
        list[str]: The removed files.
    """
    removed = []
    for name in sorted(os.listdir(folder)) if osp.isdir(folder) else []:
        match = TEMP_NAME.match(name)
        path = osp.join(folder, name)
        pid = int(match.group(1)) if match else None
        if pid is None or not osp.isfile(path) or (pid != os.getpid()
                                                   and _process_exists(pid)):
            continue
        try:
            os.remove(path)
        except FileNotFoundError:  # another rank removed it
            continue
        removed.append(path)
    if removed:
        print_log(
            f'Removed {len(removed)} incomplete temporary file(s) of a '
            f'killed save: {", ".join(removed)}',
            logger='current',
            level=logging.WARNING)
    return removed


def _earlier_checkpoints(folder: str, before: Optional[int]) -> List[str]:
    """``epoch_N.pth`` / ``iter_N.pth`` in ``folder``, newest first, with
    ``N < before`` when given."""
    found = []
    for name in os.listdir(folder) if osp.isdir(folder) else []:
        match = CHECKPOINT_NAME.match(name)
        if match and (before is None or int(match.group(2)) < before):
            found.append((int(match.group(2)), osp.join(folder, name)))
    return [path for _, path in sorted(found, reverse=True)]


def resumable_checkpoint(checkpoint: Optional[str],
                         work_dir: str) -> Optional[str]:
    """The checkpoint to resume from, skipping unreadable ones.

    Args:
        checkpoint (str, optional): The checkpoint asked for (``--resume
            PATH``), or None for the latest of ``work_dir`` (its
            ``last_checkpoint`` file, as MMEngine's auto-resume).
        work_dir (str): The run's work dir.

    Temporary files of a save that was killed are removed from
    ``work_dir`` and the folder of ``checkpoint``
    (:func:`remove_stale_temp_files`).

    Returns:
        str | None: ``checkpoint`` (or the latest) if it is readable;
        otherwise, with a warning, the newest readable ``epoch_N.pth`` /
        ``iter_N.pth`` before it in the same folder. None when auto-resume
        finds no checkpoint at all (a fresh start).

    Raises:
        FileNotFoundError: Nothing readable to resume from; the message
            names the files tried.
    """
    for folder in {
            osp.abspath(work_dir)
    } | ({osp.abspath(osp.dirname(checkpoint))} if checkpoint else set()):
        remove_stale_temp_files(folder)
    if checkpoint is None:
        latest = find_latest_checkpoint(work_dir) or None
        candidates = ([latest] if latest else []) + [
            path for path in _earlier_checkpoints(work_dir, None)
            if not latest or osp.abspath(path) != osp.abspath(latest)
        ]
        if not candidates:
            return None
    else:
        match = CHECKPOINT_NAME.match(osp.basename(checkpoint))
        candidates = [checkpoint] + (
            _earlier_checkpoints(osp.dirname(checkpoint), int(match.group(2)))
            if match else [])
    for path in candidates:
        if is_readable_checkpoint(path):
            if path != candidates[0]:
                print_log(
                    f'Cannot resume from {candidates[0]}: it is missing, '
                    'empty, truncated or damaged (a run killed while saving '
                    'it?). '
                    f'Resuming from {path} instead.',
                    logger='current',
                    level=logging.WARNING)
            return path
    raise FileNotFoundError(
        'No readable checkpoint to resume from: '
        f'{", ".join(candidates)} are missing, empty, truncated or '
        'damaged.')
