"""``GlamorRunner``: MMEngine's Runner with glamor_mm's checkpoint checks and
distributed jobs on CPUs; selected by ``runner_type='GlamorRunner'`` (as in
``configs/_base_/default_runtime.py``)."""
from typing import Callable, Dict, List, Optional, Tuple, Union

import torch
import torch.distributed as torch_dist
from mmengine.model import is_model_wrapper
from mmengine.registry import RUNNERS
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint_to_model
from torch import nn

from glamor_mm.checkpoint.loaders import load_checkpoint_file
from .dist import cpu_wrapper_cfg, init_distributed


@RUNNERS.register_module()
class GlamorRunner(Runner):
    """MMEngine's ``Runner``, loading checkpoints safely and running
    distributed jobs on CPUs.

    What differs from MMEngine's ``Runner`` (everything else, and every
    argument, is MMEngine's):

    * :meth:`load_checkpoint` (``load_from``, ``resume``, ``tools/test.py``)
      reads the file with
      :func:`~glamor_mm.checkpoint.loaders.load_checkpoint_file`:
      integrity (CRC-32), restricted unpickling that accepts MMEngine's own
      checkpoints under torch >= 2.6, a dict. ``StrictLoadHook`` then checks
      that the tensors fit the model.
    * :meth:`setup_env` initialises a launched job's process group with
      :func:`~glamor_mm.engine.dist.init_distributed`: NCCL when every rank
      has a GPU, gloo when none has (MMEngine's ``init_dist`` needs a GPU),
      an error for a mix.
    * :meth:`wrap_model` wraps the model of a job on CPUs in a CPU-capable
      ``DistributedDataParallel`` (:func:`~glamor_mm.engine.dist.
      cpu_wrapper_cfg`; MMEngine passes GPU ``device_ids``).
    """

    def setup_env(self, env_cfg: Dict) -> None:
        """MMEngine's environment set-up, with the process group of a
        launched job initialised by :func:`init_distributed`.

        Args:
            env_cfg (dict): The config's ``env_cfg``.
        """
        if self.distributed and not torch_dist.is_initialized():
            init_distributed(self.launcher,
                             env_cfg.get('dist_cfg', None) or {})
        super().setup_env(env_cfg)

    def wrap_model(self, model_wrapper_cfg: Optional[Dict],
                   model: nn.Module) -> nn.Module:
        """MMEngine's wrapping, with a CPU-capable wrapper for a
        distributed job without GPUs.

        Args:
            model_wrapper_cfg (dict, optional): The config's.
            model (nn.Module): The model.

        Returns:
            nn.Module: The wrapped model.
        """
        if self.distributed and not torch.cuda.is_available() and \
                not is_model_wrapper(model):
            model_wrapper_cfg = cpu_wrapper_cfg(
                model_wrapper_cfg, self.cfg.get('find_unused_parameters',
                                                False))
        return super().wrap_model(model_wrapper_cfg, model)

    def load_checkpoint(
            self,
            filename: str,
            map_location: Union[str, Callable] = 'cpu',
            strict: bool = False,
            revise_keys: List[Tuple[str, str]] = [(r'^module.', '')]) -> dict:
        """Load ``filename`` into the model, reading it with
        :func:`~glamor_mm.checkpoint.loaders.load_checkpoint_file`.

        Arguments and hooks (``after_load_checkpoint``) as in MMEngine's
        ``Runner.load_checkpoint``.

        Returns:
            dict: The loaded checkpoint.
        """
        checkpoint = load_checkpoint_file(filename, map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(
            self.model) else self.model
        checkpoint = _load_checkpoint_to_model(
            model, checkpoint, strict, revise_keys=revise_keys)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint
