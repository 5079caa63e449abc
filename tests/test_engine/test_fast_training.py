"""Faster training steps give the losses of the eager float32 one."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from glamor_mm.engine import BF16AmpOptimWrapper, cpu_has_bf16

TOY_CONFIG = osp.join(
    osp.dirname(__file__), '..', '..', 'configs', 'glamor',
    'glamor_original_1xb32-12e_toy.py')
STEPS = 4


def _model() -> torch.nn.Module:
    cfg = Config.fromfile(TOY_CONFIG)
    torch.manual_seed(0)
    return MODELS.build(
        dict(cfg.model, data_preprocessor=cfg.data_preprocessor))


def _batches():
    """STEPS batches of 8 uint8 views (48x48 faces, 56x56 contexts)."""
    gen = torch.Generator().manual_seed(0)
    for _ in range(STEPS):
        yield dict(
            inputs=dict(
                face=torch.randint(
                    0, 256, (8, 3, 48, 48), dtype=torch.uint8, generator=gen),
                context=torch.randint(
                    0, 256, (8, 3, 56, 56), dtype=torch.uint8,
                    generator=gen)),
            data_samples=[
                DataSample().set_gt_label(i % 7) for i in range(8)
            ])


def sgd_losses(model: torch.nn.Module, wrapper_type: type) -> list:
    """The losses of STEPS SGD steps through ``model.train_step``."""
    model.train()
    wrapper = wrapper_type(
        optimizer=torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9))
    losses = []
    for step, batch in enumerate(_batches()):
        torch.manual_seed(step)  # the same dropout masks
        losses.append(model.train_step(batch, wrapper)['loss'].item())
    return losses


@pytest.mark.skipif(
    not cpu_has_bf16(), reason='the CPU has no AVX-512 BF16 or AMX')
def test_bf16_autocast_trains_like_float32():
    """bfloat16 autocast on the CPU: the losses of 4 SGD steps of the
    original model are within 0.1 % of float32's (measured: 0.015 %), and
    its convolutions did run in bfloat16 (the losses are not float32's)."""
    reference = sgd_losses(_model(), OptimWrapper)
    model = _model()
    bf16 = sgd_losses(model, BF16AmpOptimWrapper)
    assert bf16 == pytest.approx(reference, rel=1e-3)
    assert bf16 != pytest.approx(reference, rel=1e-5)
    assert len(set(reference)) == STEPS  # the weights did change
    assert all(p.dtype == torch.float32 for p in model.parameters())


def test_compiled_backbones_train_like_eager():
    """torch.compile of the two backbones (TorchDynamo's graphs, AOTAutograd
    backward; the ``aot_eager`` backend, which skips Inductor's code
    generation, minutes on two busy cores): the losses of 4 SGD steps are
    within 1e-5 of eager's, and the state dict keys are unchanged."""
    from glamor_mm.engine.hooks import compile_modules
    reference = sgd_losses(_model(), OptimWrapper)
    model = _model()
    keys = list(model.state_dict())
    compile_modules(model, backend='aot_eager')
    assert model.face_backbone._compiled_call_impl is not None
    assert sgd_losses(model, OptimWrapper) == pytest.approx(
        reference, rel=1e-5)
    assert list(model.state_dict()) == keys
    with pytest.raises(ValueError, match="no submodule 'encoder'"):
        compile_modules(model, ['encoder'])


def test_compile_hook_in_a_runner(toy_runner_cfg, tmp_path):
    """``CompileModelHook`` compiles the configured submodules before
    training, with Inductor's cache in ``cache_dir``."""
    import os

    from mmengine.runner import Runner
    cfg = toy_runner_cfg(str(tmp_path / 'work'))
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.custom_hooks = [
        dict(
            type='CompileModelHook',
            targets=['context_backbone'],
            cache_dir=str(tmp_path / 'cache'),
            backend='aot_eager')
    ]
    cfg.experiment_name = f'compile_{tmp_path.name}'
    old = os.environ.get('TORCHINDUCTOR_CACHE_DIR')
    try:
        runner = Runner.from_cfg(cfg)
        runner.train()
        assert os.environ['TORCHINDUCTOR_CACHE_DIR'] == str(tmp_path /
                                                             'cache')
    finally:
        if old is None:
            os.environ.pop('TORCHINDUCTOR_CACHE_DIR', None)
        else:
            os.environ['TORCHINDUCTOR_CACHE_DIR'] = old
    model = runner.model
    assert model.context_backbone._compiled_call_impl is not None
    assert model.face_backbone._compiled_call_impl is None
