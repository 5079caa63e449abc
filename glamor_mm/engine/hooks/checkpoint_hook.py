"""MMEngine's CheckpointHook, writing checkpoints atomically and removing old
ones only after the new one is written."""
from contextlib import contextmanager
from typing import Any, Iterator, List, Optional

from mmengine.hooks import CheckpointHook
from mmpretrain.registry import HOOKS

from glamor_mm.checkpoint.file_integrity import ATOMIC_BACKEND


class _DeferredRemoval:
    """A file backend whose ``remove`` only records the path."""

    def __init__(self, backend: Any, removals: List[str]) -> None:
        self._backend = backend
        self._removals = removals

    def remove(self, filepath: str) -> None:
        self._removals.append(filepath)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)


@HOOKS.register_module()
class SafeCheckpointHook(CheckpointHook):
    """``CheckpointHook`` whose checkpoints survive a kill.

    * Files in a local folder are written atomically
      (:class:`~glamor_mm.checkpoint.file_integrity.AtomicLocalBackend`: a
      temporary file, renamed when complete), so a kill during a save
      leaves the previous file, never a truncated one.
    * MMEngine's hook removes the previous best checkpoint, and the oldest
      one beyond ``max_keep_ckpts``, *before* saving the new one: a run
      killed during that save has lost its best checkpoint. This hook saves
      first and removes afterwards (and not at all if the save fails).

    All arguments are MMEngine's. Given ``backend_args`` or
    ``file_client_args``, or an ``out_dir`` with a scheme (``s3://``), the
    files are written as MMEngine writes them.
    """

    def __init__(self,
                 *args,
                 out_dir: Optional[str] = None,
                 file_client_args: Optional[dict] = None,
                 backend_args: Optional[dict] = None,
                 **kwargs) -> None:
        if backend_args is None and file_client_args is None and (
                out_dir is None or '://' not in str(out_dir)):
            backend_args = dict(backend=ATOMIC_BACKEND)
        super().__init__(
            *args,
            out_dir=out_dir,
            file_client_args=file_client_args,
            backend_args=backend_args,
            **kwargs)

    @contextmanager
    def _removals_after_saving(self) -> Iterator[None]:
        """Defer ``file_backend.remove`` to the end of a successful block."""
        backend, removals = self.file_backend, []
        self.file_backend = _DeferredRemoval(backend, removals)
        try:
            yield
        finally:
            self.file_backend = backend
        keep = {getattr(self, 'last_ckpt', None)}
        keep.add(getattr(self, 'best_ckpt_path', None))
        keep.update(getattr(self, 'best_ckpt_path_dict', {}).values())
        for path in removals:
            if path not in keep and backend.isfile(path):
                backend.remove(path)

    def _save_checkpoint_with_step(self, runner, step: int, meta: dict):
        with self._removals_after_saving():
            super()._save_checkpoint_with_step(runner, step, meta)

    def _save_best_checkpoint(self, runner, metrics: dict) -> None:
        with self._removals_after_saving():
            super()._save_best_checkpoint(runner, metrics)
