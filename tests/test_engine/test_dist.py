"""glamor_mm.engine.dist (what GlamorRunner uses): distributed set-up without
a GPU."""
import datetime
import socket
import threading

import pytest
import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.model import MMDistributedDataParallel
from mmengine.registry import DefaultScope
from mmengine.registry import MODEL_WRAPPERS as ROOT_MODEL_WRAPPERS
from mmpretrain.registry import MODEL_WRAPPERS

from glamor_mm.engine import (CPUDistributedDataParallel, cpu_wrapper_cfg,
                              init_distributed)
from glamor_mm.engine.dist import agree_on_cuda

needs_cpu_gloo = pytest.mark.skipif(
    torch.cuda.is_available() or not torch_dist.is_available()
    or not torch_dist.is_gloo_available(),
    reason='the CPU path needs gloo and no CUDA GPU')


@needs_cpu_gloo
def test_launcher_without_env_fails_clearly(monkeypatch):
    for key in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK'):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(RuntimeError, match='tools/dist_train.sh'):
        init_distributed('pytorch', {})
    assert not torch_dist.is_initialized()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture
def one_process_job(monkeypatch):
    """The environment of a 1-process torchrun job; the group is destroyed
    afterwards."""
    for key, value in dict(
            RANK='0',
            WORLD_SIZE='1',
            LOCAL_RANK='0',
            MASTER_ADDR='127.0.0.1',
            MASTER_PORT=str(free_port())).items():
        monkeypatch.setenv(key, value)
    yield
    if torch_dist.is_initialized():
        torch_dist.destroy_process_group()


def build_wrapper(cfg, module):
    """Build the wrapper as the Runner does: root registry, the config's
    scope, always ``device_ids``."""
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope')):
        return ROOT_MODEL_WRAPPERS.build(
            cfg.model_wrapper_cfg,
            default_args=dict(module=module, device_ids=[0]))


@needs_cpu_gloo
def test_pytorch_launcher_uses_gloo_with_mmengine_defaults(one_process_job):
    assert init_distributed('pytorch', dict(backend='nccl')) is True
    assert torch_dist.get_backend() == 'gloo'
    cfg = Config(dict(model_wrapper_cfg=cpu_wrapper_cfg(None, True)))
    wrapper = build_wrapper(cfg, torch.nn.Linear(3, 2))
    assert isinstance(wrapper, CPUDistributedDataParallel)
    assert wrapper.device_ids is None
    # as MMEngine's GPU path: no buffer broadcast, the config's flag
    assert wrapper.broadcast_buffers is False
    assert wrapper.find_unused_parameters is True
    out = wrapper(torch.ones(4, 3))
    out.sum().backward()
    assert wrapper.module.weight.grad is not None


@MODEL_WRAPPERS.register_module(force=True)
class UserDDP(MMDistributedDataParallel):
    """A user's wrapper type."""

    def train_step(self, *args, **kwargs):
        self.user_step = True
        return super().train_step(*args, **kwargs)


@needs_cpu_gloo
@pytest.mark.parametrize('wrapper_type',
                         ['MMDistributedDataParallel', 'mmpretrain.UserDDP'])
def test_user_wrapper_type_keeps_working(one_process_job, wrapper_type):
    user_cfg = dict(type=wrapper_type, broadcast_buffers=True)
    assert init_distributed('pytorch', {}) is True
    cfg = Config(
        dict(
            default_scope='mmpretrain',
            model_wrapper_cfg=cpu_wrapper_cfg(user_cfg)))
    assert user_cfg['type'] == wrapper_type  # the config is not changed
    wrapper = build_wrapper(cfg, torch.nn.Linear(3, 2))
    assert isinstance(wrapper, ROOT_MODEL_WRAPPERS.get(wrapper_type))
    assert wrapper.device_ids is None and wrapper.broadcast_buffers is True
    if wrapper_type == 'mmpretrain.UserDDP':
        assert type(wrapper).__name__ == 'CPUUserDDP'


def agree_in_threads(has_cuda: list) -> dict:
    """Run :func:`agree_on_cuda` for ranks in threads over a real rendezvous
    store; rank -> its result, or the message of its RuntimeError."""
    port = free_port()
    results = {}

    def rank_main(rank: int) -> None:
        store = torch_dist.TCPStore(
            '127.0.0.1',
            port,
            len(has_cuda),
            is_master=rank == 0,
            timeout=datetime.timedelta(seconds=60))
        try:
            results[rank] = agree_on_cuda(store, rank, len(has_cuda),
                                          has_cuda[rank])
        except RuntimeError as e:
            results[rank] = str(e)

    threads = [
        threading.Thread(target=rank_main, args=(r, ))
        for r in range(len(has_cuda))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_gpu_and_cpu_ranks_are_never_mixed():
    """One rank with a GPU, one without: both stop, before any process
    group exists, naming the rank without one."""
    results = agree_in_threads([False, True])
    assert sorted(results) == [0, 1]
    for message in results.values():
        assert 'Ranks [0] of this 2-process job have no CUDA GPU' in message


def test_ranks_that_agree_pass():
    assert agree_in_threads([False, False]) == {0: False, 1: False}
    assert agree_in_threads([True, True, True]) == {0: True, 1: True, 2: True}
