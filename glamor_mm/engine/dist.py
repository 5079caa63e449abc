"""Distributed jobs on CPUs (gloo) and GPUs (NCCL), never a mix.

MMEngine 0.10.7 cannot run a distributed job on a CPU-only machine:

* ``mmengine.dist.init_dist`` calls ``torch.cuda.set_device`` for the
  ``pytorch``, ``slurm`` and ``mpi`` launchers whatever the backend, which
  fails with "Found no NVIDIA driver".
* ``Runner.wrap_model`` always passes ``device_ids=[LOCAL_RANK]`` to a
  ``DistributedDataParallel`` wrapper, which torch refuses for a module on
  the CPU.

``GlamorRunner`` initialises the default process group with
:func:`init_distributed` instead of MMEngine's ``init_dist``. The ranks
first agree, through the launcher's rendezvous store, on whether they all
have a CUDA GPU: all do, NCCL (``env_cfg.dist_cfg.backend``), set up as
MMEngine does; none does, gloo, with :class:`CPUDistributedDataParallel` as
the wrapper (:func:`cpu_wrapper_cfg`); a mix is an error naming the ranks
without a GPU, instead of a job whose gloo and NCCL ranks hang in their
first collective.
"""
import datetime
import os
import subprocess
import time
from typing import Optional

import torch
import torch.distributed as torch_dist
from mmengine.model import MMDistributedDataParallel
from mmengine.registry import MODEL_WRAPPERS as ROOT_MODEL_WRAPPERS
from mmpretrain.registry import MODEL_WRAPPERS
from torch.nn.parallel import DistributedDataParallel


class CPUDeviceIdsMixin:
    """Drops ``device_ids`` for a module on the CPU.

    The ``Runner`` passes ``device_ids=[LOCAL_RANK]`` to every
    ``DistributedDataParallel`` wrapper; torch only accepts ``device_ids``
    for GPU modules. Put before a ``DistributedDataParallel`` subclass (see
    :func:`cpu_wrapper_type`).
    """

    def __init__(self,
                 module: torch.nn.Module,
                 device_ids: Optional[list] = None,
                 **kwargs) -> None:
        params = list(module.parameters())
        if params and params[0].device.type == 'cpu':
            device_ids = None
        super().__init__(module=module, device_ids=device_ids, **kwargs)


@MODEL_WRAPPERS.register_module()
class CPUDistributedDataParallel(CPUDeviceIdsMixin, MMDistributedDataParallel):
    """``MMDistributedDataParallel`` that accepts a module on the CPU.

    Gradients are still all-reduced across ranks after every backward pass.

    Args:
        module (torch.nn.Module): The model to wrap.
        device_ids (list[int], optional): Ignored for a CPU module, passed
            on otherwise. Defaults to None.
        **kwargs: Other arguments of ``MMDistributedDataParallel``.
    """


def cpu_wrapper_type(wrapper_type: str) -> str:
    """A registered name of a CPU-capable version of ``wrapper_type``.

    ``MMDistributedDataParallel`` becomes :class:`CPUDistributedDataParallel`;
    another ``DistributedDataParallel`` subclass ``X`` becomes ``CPUX``
    (``CPUDeviceIdsMixin`` + ``X``, registered on first use), so that the
    user's class, with its methods, still wraps the model; any other
    wrapper is kept.

    Args:
        wrapper_type (str): The ``type`` of ``model_wrapper_cfg``, looked up
            in MMEngine's root registry as the ``Runner`` does (a type
            registered in MMPretrain's needs its ``mmpretrain.`` scope).

    Returns:
        str: The type to use, scoped (``mmpretrain.CPU...``) when replaced.
    """
    cls = ROOT_MODEL_WRAPPERS.get(wrapper_type)
    if cls is None:
        raise KeyError(f'model_wrapper_cfg type {wrapper_type!r} is not a '
                       'registered model wrapper.')
    if not issubclass(cls, DistributedDataParallel) or issubclass(
            cls, CPUDeviceIdsMixin):
        return wrapper_type
    if cls is MMDistributedDataParallel:
        return 'mmpretrain.CPUDistributedDataParallel'
    name = f'CPU{cls.__name__}'
    if MODEL_WRAPPERS.get(name) is None:
        MODEL_WRAPPERS.register_module(
            name=name, module=type(name, (CPUDeviceIdsMixin, cls), {}))
    return f'mmpretrain.{name}'


def _set_env_from_launcher(launcher: str) -> None:
    """Fill ``RANK``/``WORLD_SIZE``/``LOCAL_RANK``/``MASTER_*``.

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


def agree_on_cuda(store: torch_dist.Store, rank: int, world_size: int,
                  has_cuda: bool) -> bool:
    """Whether every rank has a CUDA GPU; raise if only some have.

    Args:
        store (Store): The job's rendezvous store.
        rank (int): This rank.
        world_size (int): Number of ranks.
        has_cuda (bool): Whether this rank has a CUDA GPU.

    Returns:
        bool: True if all ranks have CUDA, False if none has.
    """
    store.set(f'glamor_mm/cuda/{rank}', str(int(has_cuda)))
    flags = [store.get(f'glamor_mm/cuda/{r}') for r in range(world_size)]
    # rank 0 hosts the store: it goes on (or raises and exits) only once
    # every rank has read the flags
    store.add('glamor_mm/cuda_read', 1)
    while rank == 0 and store.add('glamor_mm/cuda_read', 0) < world_size:
        time.sleep(0.01)
    without = [r for r, flag in enumerate(flags) if flag == b'0']
    if without and len(without) < world_size:
        raise RuntimeError(
            f'Ranks {without} of this {world_size}-process job have no CUDA '
            'GPU and the others have one: a job runs either NCCL on GPUs or '
            'gloo on CPUs, not both. Give every process a GPU, or hide the '
            'GPUs of all of them (CUDA_VISIBLE_DEVICES="").')
    return not without


def init_distributed(launcher: str, dist_cfg: dict) -> bool:
    """Initialise the default process group of a launched job.

    The ranks agree on their hardware (see the module docstring), then:

    * all on GPUs: ``dist_cfg['backend']`` (NCCL by default), with
      ``torch.cuda.set_device(LOCAL_RANK)``, as MMEngine's ``init_dist``;
    * all on CPUs: gloo.

    Args:
        launcher (str): ``'pytorch'``, ``'slurm'`` or ``'mpi'``.
        dist_cfg (dict): ``env_cfg.dist_cfg`` (``backend``, ``timeout`` in
            seconds).

    Returns:
        bool: True if the ranks run on CPUs (gloo).

    Raises:
        RuntimeError: Some ranks have a GPU and others do not, or the
            launcher's environment variables are missing.
    """
    _set_env_from_launcher(launcher)
    rank, world_size = int(os.environ['RANK']), int(os.environ['WORLD_SIZE'])
    timeout = datetime.timedelta(seconds=dist_cfg.get('timeout', 1800))
    # torch's own env:// rendezvous (it reuses torchrun's agent store)
    store, rank, world_size = next(
        torch_dist.rendezvous(
            'env://', rank=rank, world_size=world_size, timeout=timeout))
    on_cpu = not agree_on_cuda(store, rank, world_size,
                               torch.cuda.is_available())
    if on_cpu:
        backend = 'gloo'
    else:
        torch.cuda.set_device(int(os.environ['LOCAL_RANK']))
        backend = dist_cfg.get('backend', 'nccl')
    torch_dist.init_process_group(
        backend=backend,
        store=store,
        rank=rank,
        world_size=world_size,
        timeout=timeout)
    return on_cpu


def cpu_wrapper_cfg(model_wrapper_cfg: Optional[dict],
                    find_unused_parameters: bool = False) -> dict:
    """The ``model_wrapper_cfg`` of a job on CPUs.

    Without one, :class:`CPUDistributedDataParallel` with MMEngine's GPU
    defaults (``broadcast_buffers=False``, ``find_unused_parameters``); a
    user's keeps its arguments and its class, made CPU-capable by
    :func:`cpu_wrapper_type`.

    Args:
        model_wrapper_cfg (dict, optional): The config's.
        find_unused_parameters (bool): The config's
            ``find_unused_parameters``. Defaults to False.

    Returns:
        dict: The wrapper config.
    """
    wrapper_cfg = dict(
        model_wrapper_cfg or dict(
            broadcast_buffers=False,
            find_unused_parameters=find_unused_parameters))
    wrapper_cfg['type'] = cpu_wrapper_type(
        wrapper_cfg.get('type', 'MMDistributedDataParallel'))
    return wrapper_cfg
