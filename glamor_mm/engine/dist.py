"""Distributed training without a GPU (gloo backend).

MMEngine 0.10.7 cannot run a distributed job on a CPU-only machine:

* ``mmengine.dist.init_dist`` calls ``torch.cuda.set_device`` for the
  ``pytorch``, ``slurm`` and ``mpi`` launchers whatever the backend, which
  fails with "Found no NVIDIA driver".
* ``Runner.wrap_model`` always passes ``device_ids=[LOCAL_RANK]`` to
  ``DistributedDataParallel``, which torch refuses for a module on the CPU.

:func:`setup_cpu_distributed` works around both before the ``Runner`` is
built: it initialises the default process group itself with the gloo backend
from the launcher's environment variables (the ``Runner`` skips its own
``init_dist`` when a group exists) and selects
:class:`CPUDistributedDataParallel` as the model wrapper. On a machine with
a GPU it does nothing, so MMEngine's usual NCCL path is unchanged.
"""
import datetime
import os
import subprocess
from typing import Optional

import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.model import MMDistributedDataParallel
from mmpretrain.registry import MODEL_WRAPPERS


@MODEL_WRAPPERS.register_module()
class CPUDistributedDataParallel(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` that accepts a module on the CPU.

    The ``Runner`` passes ``device_ids=[LOCAL_RANK]`` to every
    ``DistributedDataParallel`` wrapper; torch only accepts ``device_ids``
    for GPU modules, so they are dropped when the module lives on the CPU.
    Gradients are still all-reduced across ranks after every backward pass.

    Args:
        module (torch.nn.Module): The model to wrap.
        device_ids (list[int], optional): Ignored for a CPU module, passed
            on otherwise. Defaults to None.
        **kwargs: Other arguments of ``MMDistributedDataParallel``.
    """

    def __init__(self,
                 module: torch.nn.Module,
                 device_ids: Optional[list] = None,
                 **kwargs) -> None:
        params = list(module.parameters())
        if params and params[0].device.type == 'cpu':
            device_ids = None
        super().__init__(module=module, device_ids=device_ids, **kwargs)


def _set_env_from_launcher(launcher: str) -> None:
    """Fill ``RANK``/``WORLD_SIZE``/``LOCAL_RANK``/``MASTER_*`` for gloo.

    ``torchrun`` sets them already; Slurm and Open MPI name them
    differently, and MMEngine's converters for those also call
    ``torch.cuda.set_device``.

    Args:
        launcher (str): ``'pytorch'``, ``'slurm'`` or ``'mpi'``.
    """
    if launcher == 'slurm':
        os.environ['RANK'] = os.environ['SLURM_PROCID']
        os.environ['WORLD_SIZE'] = os.environ['SLURM_NTASKS']
        os.environ['LOCAL_RANK'] = os.environ.get('SLURM_LOCALID', '0')
        if 'MASTER_ADDR' not in os.environ:
            node_list = os.environ['SLURM_NODELIST']
            os.environ['MASTER_ADDR'] = subprocess.getoutput(
                f'scontrol show hostname {node_list} | head -n1')
    elif launcher == 'mpi':
        os.environ['RANK'] = os.environ['OMPI_COMM_WORLD_RANK']
        os.environ['WORLD_SIZE'] = os.environ['OMPI_COMM_WORLD_SIZE']
        os.environ['LOCAL_RANK'] = os.environ['OMPI_COMM_WORLD_LOCAL_RANK']
    elif launcher != 'pytorch':
        raise ValueError(f'Invalid launcher type: {launcher}')
    os.environ.setdefault('MASTER_ADDR', '127.0.0.1')
    os.environ.setdefault('MASTER_PORT', '29500')
    missing = [
        key for key in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK')
        if key not in os.environ
    ]
    if missing:
        raise RuntimeError(
            f'--launcher {launcher} needs the environment variables '
            f'{missing}; start the job with tools/dist_train.sh (torchrun) '
            'or tools/slurm_train.sh.')


def setup_cpu_distributed(cfg: Config) -> bool:
    """Prepare a distributed run on a machine without a CUDA GPU.

    Does nothing when ``cfg.launcher`` is ``'none'``, when CUDA is available
    or when a process group already exists. Otherwise it initialises the
    default process group with the gloo backend, records the backend in
    ``cfg.env_cfg.dist_cfg`` and selects :class:`CPUDistributedDataParallel`
    as the model wrapper (a user-given ``model_wrapper_cfg`` with a ``type``
    is kept).

    Args:
        cfg (Config): The full config, with ``launcher`` already merged.

    Returns:
        bool: True if this function initialised the process group.
    """
    launcher = cfg.get('launcher', 'none')
    if (launcher == 'none' or torch.cuda.is_available()
            or torch_dist.is_initialized()):
        return False
    _set_env_from_launcher(launcher)
    env_cfg = cfg.get('env_cfg', None) or {}
    dist_cfg = env_cfg.get('dist_cfg', None) or {}
    dist_cfg['backend'] = 'gloo'
    env_cfg['dist_cfg'] = dist_cfg
    cfg.env_cfg = env_cfg
    timeout = dist_cfg.get('timeout', None)
    kwargs = {}
    if timeout is not None:
        kwargs['timeout'] = datetime.timedelta(seconds=timeout)
    torch_dist.init_process_group(
        backend='gloo',
        init_method='env://',
        rank=int(os.environ['RANK']),
        world_size=int(os.environ['WORLD_SIZE']),
        **kwargs)
    wrapper_cfg = cfg.get('model_wrapper_cfg', None) or {}
    # scoped: the Runner looks the type up in MMEngine's root registry
    wrapper_cfg.setdefault('type', 'mmpretrain.CPUDistributedDataParallel')
    cfg.model_wrapper_cfg = wrapper_cfg
    return True
