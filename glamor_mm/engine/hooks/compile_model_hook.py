"""torch.compile parts of the model (not MMEngine's whole ``train_step``)."""
import os
import os.path as osp
from typing import Optional, Sequence

import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS


def compile_modules(model: nn.Module,
                    targets: Sequence[str] = ('face_backbone',
                                              'context_backbone'),
                    cache_dir: Optional[str] = None,
                    **compile_kwargs) -> None:
    """Compile the forward of submodules of ``model`` in place.

    ``nn.Module.compile`` keeps the module and its state dict keys, so
    checkpoints, hooks and the data preprocessor are unchanged; only the
    forward passes of ``targets`` run through TorchDynamo and Inductor.

    Args:
        model (nn.Module): The model (unwrapped).
        targets (Sequence[str]): Names of submodules (``''`` for the whole
            model). Defaults to the two backbones.
        cache_dir (str, optional): Inductor's cache folder
            (``TORCHINDUCTOR_CACHE_DIR``): compiled kernels and graphs are
            kept there, and a later run with the same model, shapes and
            torch version loads them instead of compiling. Defaults to None
            (Inductor's default, a folder in the system's temporary one).
        **compile_kwargs: Arguments of ``torch.compile`` (``mode``,
            ``dynamic``, ``backend``...).

    Raises:
        ValueError: If the model has no submodule of a target's name.
    """
    if cache_dir is not None:
        os.environ['TORCHINDUCTOR_CACHE_DIR'] = osp.abspath(cache_dir)
    for name in targets:
        try:
            module = model.get_submodule(name)
        except AttributeError as e:
            raise ValueError(
                f'compile: {type(model).__name__} has no submodule '
                f'{name!r}.') from e
        module.compile(**compile_kwargs)


@HOOKS.register_module()
class CompileModelHook(Hook):
    """Compile parts of the model with ``torch.compile`` before running.

    MMEngine's ``compile=True`` compiles the whole ``train_step``: the data
    preprocessor, the optimizer step and MMEngine's Python around them,
    which break the graph many times and recompile for each new batch
    size. This hook compiles only the forward of ``targets`` (see
    :func:`compile_modules`), once, before training, validation or testing.
    The first steps are slow (compilation); ``cache_dir`` keeps the result
    for the next runs.

    Args:
        targets (Sequence[str]): Submodules to compile (``''`` for the
            whole model). Defaults to the two backbones.
        cache_dir (str, optional): Inductor's cache folder. Defaults to
            None (Inductor's default).
        **compile_kwargs: Arguments of ``torch.compile``.
    """

    priority = 'VERY_LOW'

    def __init__(self,
                 targets: Sequence[str] = ('face_backbone',
                                           'context_backbone'),
                 cache_dir: Optional[str] = None,
                 **compile_kwargs) -> None:
        self.targets = tuple(targets)
        self.cache_dir = cache_dir
        self.compile_kwargs = compile_kwargs
        self._done = False

    def _compile(self, runner) -> None:
        """Compile once, whichever of train, val or test runs first."""
        if self._done:
            return
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        compile_modules(model, self.targets, self.cache_dir,
                        **self.compile_kwargs)
        print_log(
            f'torch.compile: {", ".join(t or "model" for t in self.targets)}'
            f' (Inductor cache: {os.environ.get("TORCHINDUCTOR_CACHE_DIR")}'
            '); the first iterations compile.',
            logger='current')
        self._done = True

    def before_train(self, runner) -> None:
        self._compile(runner)

    def before_val(self, runner) -> None:
        self._compile(runner)

    def before_test(self, runner) -> None:
        self._compile(runner)
