"""glamor_mm.engine.dist: distributed set-up without a GPU."""
import socket

import pytest
import torch
import torch.distributed as torch_dist
from mmengine.config import Config
from mmengine.registry import MODEL_WRAPPERS

from glamor_mm.engine import CPUDistributedDataParallel, setup_cpu_distributed

needs_cpu_gloo = pytest.mark.skipif(
    torch.cuda.is_available() or not torch_dist.is_available()
    or not torch_dist.is_gloo_available(),
    reason='the CPU path needs gloo and no CUDA GPU')


def test_no_launcher_does_nothing():
    cfg = Config(dict(launcher='none'))
    assert setup_cpu_distributed(cfg) is False
    assert 'model_wrapper_cfg' not in cfg
    assert not torch_dist.is_initialized()


@needs_cpu_gloo
def test_launcher_without_env_fails_clearly(monkeypatch):
    for key in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK'):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(RuntimeError, match='tools/dist_train.sh'):
        setup_cpu_distributed(Config(dict(launcher='pytorch')))
    assert not torch_dist.is_initialized()


@needs_cpu_gloo
def test_pytorch_launcher_uses_gloo(monkeypatch):
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    for key, value in dict(
            RANK='0', WORLD_SIZE='1', LOCAL_RANK='0',
            MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port)).items():
        monkeypatch.setenv(key, value)
    cfg = Config(dict(launcher='pytorch', env_cfg=dict(dist_cfg=dict(
        backend='nccl'))))
    try:
        assert setup_cpu_distributed(cfg) is True
        assert torch_dist.get_backend() == 'gloo'
        assert cfg.env_cfg.dist_cfg.backend == 'gloo'
        # the Runner builds the wrapper from MMEngine's root registry and
        # always passes device_ids
        wrapper = MODEL_WRAPPERS.build(
            cfg.model_wrapper_cfg,
            default_args=dict(module=torch.nn.Linear(3, 2), device_ids=[0]))
        assert isinstance(wrapper, CPUDistributedDataParallel)
        assert wrapper.device_ids is None
        out = wrapper(torch.ones(4, 3))
        out.sum().backward()
        assert wrapper.module.weight.grad is not None
        # a second call leaves the existing group alone
        assert setup_cpu_distributed(cfg) is False
    finally:
        if torch_dist.is_initialized():
            torch_dist.destroy_process_group()
