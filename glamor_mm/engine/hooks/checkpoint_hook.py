"""MMEngine's CheckpointHook, removing old checkpoints only after the new
one is written."""
from contextlib import contextmanager
from typing import Any, Iterator, List

from mmengine.hooks import CheckpointHook as MMEngineCheckpointHook
from mmpretrain.registry import HOOKS


class _DeferredRemoval:
    """A file backend whose ``remove`` only records the path."""

    def __init__(self, backend: Any, removals: List[str]) -> None:
        self._backend = backend
        self._removals = removals

    def remove(self, filepath: str) -> None:
        self._removals.append(filepath)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)


@HOOKS.register_module(name='CheckpointHook')
class SafeCheckpointHook(MMEngineCheckpointHook):
    """``CheckpointHook`` that never deletes a checkpoint before its
    replacement exists.

    MMEngine's hook removes the previous best checkpoint, and the oldest one
    beyond ``max_keep_ckpts``, *before* saving the new one: a run killed
    during that save has lost its best checkpoint. This hook saves first and
    removes afterwards (and not at all if the save fails). Registered as
    ``CheckpointHook`` in MMPretrain's registry, so configs in the
    ``mmpretrain`` scope get it under the usual name; all arguments are
    MMEngine's. The files themselves are written atomically by
    :class:`~glamor_mm.checkpoint.file_integrity.AtomicLocalBackend`.
    """

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
