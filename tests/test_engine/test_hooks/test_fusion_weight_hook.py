import json

import pytest
import torch
from mmengine.model import BaseModel
from mmengine.registry import RUNNERS
from mmengine.runner import Runner
from torch.utils.data import Dataset

from glamor_mm.engine.hooks import FusionWeightHook  # noqa: F401


class WeightDataset(Dataset):
    """Sample i carries a fixed face weight ``w``."""

    def __init__(self, weights):
        self.weights = weights

    def __len__(self):
        return len(self.weights)

    def __getitem__(self, index):
        return dict(
            inputs=torch.tensor([self.weights[index]]), data_samples=index)


class FusionLikeModel(BaseModel):
    """Returns the loss dict shape of FusionHead(fusion='net')."""

    def __init__(self):
        super().__init__()
        self.param = torch.nn.Parameter(torch.zeros(1))

    def forward(self, inputs, data_samples=None, mode='tensor'):
        w_face = torch.stack(inputs).mean()
        return dict(
            loss=(self.param - 1).pow(2).sum(),
            fusion_w_face=w_face,
            fusion_w_context=1 - w_face)


def build_runner(tmp_path, weights, epochs, **hook_kwargs):
    return Runner(
        model=FusionLikeModel(),
        work_dir=str(tmp_path),
        train_dataloader=dict(
            dataset=WeightDataset(weights),
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=2,
            num_workers=0),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        train_cfg=dict(by_epoch=True, max_epochs=epochs),
        custom_hooks=[dict(type='FusionWeightHook', **hook_kwargs)],
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=100)),
        default_scope='mmpretrain',
        log_level='WARNING',
        experiment_name=f'fusion_hook_{tmp_path.name}')


def test_fusion_weight_hook_per_epoch_means(tmp_path):
    # Batches of 2, 2, 1: the mean must be weighted by batch size.
    weights = [0.9, 0.7, 0.2, 0.4, 0.01]
    runner = build_runner(tmp_path, weights, epochs=2)
    runner.train()

    expected_face = sum(weights) / len(weights)
    history = runner.message_hub.get_info('fusion_weights')
    assert [h['epoch'] for h in history] == [1, 2]
    for entry in history:
        assert entry['w_face'] == pytest.approx(expected_face)
        assert entry['w_context'] == pytest.approx(1 - expected_face)
    with open(tmp_path / 'fusion_weights.json') as f:
        assert json.load(f) == history


def test_fusion_weight_hook_warns_on_collapse(tmp_path):
    runner = build_runner(tmp_path, [0.99, 0.98], epochs=1)
    runner.train()
    log_file = runner.logger.log_file
    with open(log_file) as f:
        log = f.read()
    assert 'Fusion weights collapsed (w_context < 0.05)' in log


def test_fusion_weight_hook_without_fusion_outputs(tmp_path):
    runner = build_runner(
        tmp_path, [0.5, 0.5], epochs=1, keys=('not_logged', ), out_file=None)
    runner.train()
    assert runner.message_hub.get_info('fusion_weights') is None
    assert not (tmp_path / 'fusion_weights.json').exists()


def test_with_the_real_fusion_head_across_a_resume(toy_runner_cfg, tmp_path):
    """GLAMOR-Net's FusionHead(fusion='net') on toy data: each epoch's entry
    is the mean of that epoch's logged batch means (2 equal batches of 7),
    and a run resumed after epoch 1 keeps epoch 1's entry and adds epoch 2."""

    def run(max_epochs, resume_from=None):
        cfg = toy_runner_cfg(str(tmp_path))
        cfg.custom_hooks = [dict(type='FusionWeightHook')]
        cfg.default_hooks.checkpoint = dict(
            type='SafeCheckpointHook', interval=1)
        cfg.train_cfg.max_epochs = max_epochs
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
        cfg.resume, cfg.load_from = resume_from is not None, resume_from
        cfg.experiment_name = f'fusion_resume_{max_epochs}'
        runner = RUNNERS.build(cfg)  # GlamorRunner, as tools/train.py
        runner.train()
        logged = runner.message_hub.get_scalar('train/fusion_w_face').data[0]
        return runner.message_hub.get_info('fusion_weights'), logged

    first, logged = run(1)
    assert len(logged) == 2
    assert first[0]['w_face'] == pytest.approx(float(logged.mean()))
    assert first[0]['w_face'] + first[0]['w_context'] == pytest.approx(1)
    resumed, logged = run(2, resume_from=str(tmp_path / 'epoch_1.pth'))
    assert [h['epoch'] for h in resumed] == [1, 2]
    assert resumed[0] == first[0]  # restored from the checkpoint
    # the resumed runner's scalars hold epoch 1 (restored) then epoch 2
    assert resumed[1]['w_face'] == pytest.approx(float(logged[-2:].mean()))
    assert resumed[1]['w_face'] != pytest.approx(resumed[0]['w_face'])
    with open(tmp_path / 'fusion_weights.json') as f:
        assert json.load(f) == resumed
