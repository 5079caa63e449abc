"""A real MMEngine Runner saves, resumes and loads checkpoints under the
installed torch (>= 2.6 refuses MMEngine's checkpoints without
glamor_mm.utils.checkpoint)."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmpretrain.apis import init_model
from mmpretrain.structures import DataSample
from torch.utils.data import Dataset

import glamor_mm  # noqa: F401  (installs the safe checkpoint loader)


class TinyImageDataset(Dataset):
    """32 generated 1x32x32 images: class 1 images are brighter."""

    metainfo = dict(classes=('dark', 'bright'))

    def __len__(self) -> int:
        return 32

    def __getitem__(self, idx: int) -> dict:
        gen = torch.Generator().manual_seed(idx)
        label = idx % 2
        img = torch.randint(0, 128, (1, 32, 32), generator=gen) + 100 * label
        return dict(
            inputs=img.to(torch.uint8),
            data_samples=DataSample().set_gt_label(label))


def runner_cfg(work_dir: str, name: str, max_epochs: int = 2, **kwargs) -> dict:
    """A tiny mmpretrain ImageClassifier (LeNet5) trained with SGD+momentum
    and a step LR schedule, so optimizer and scheduler state matter."""
    cfg = dict(
        model=dict(
            type='ImageClassifier',
            backbone=dict(type='LeNet5'),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(
                type='LinearClsHead',
                num_classes=2,
                in_channels=120,
                loss=dict(type='CrossEntropyLoss')),
            data_preprocessor=dict(
                type='ClsDataPreprocessor', mean=[128.], std=[64.])),
        work_dir=work_dir,
        experiment_name=name,
        train_dataloader=dict(
            dataset=TinyImageDataset(),
            batch_size=8,
            num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=True)),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        optim_wrapper=dict(
            optimizer=dict(type='SGD', lr=0.05, momentum=0.9)),
        param_scheduler=dict(type='MultiStepLR', milestones=[1], gamma=0.1),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=1),
            logger=dict(type='LoggerHook', interval=1)),
        # CPU runs are bit-exact without `deterministic`, which would switch
        # on torch.use_deterministic_algorithms for the whole test session
        randomness=dict(seed=42),
        default_scope='mmpretrain',
        log_level='WARNING')
    cfg.update(kwargs)
    return cfg


class StartProbeHook(Hook):
    """Records (epoch, iter) when training starts, i.e. after resuming."""

    def before_train(self, runner: Runner) -> None:
        self.start = (runner.epoch, runner.iter)


def weights(runner: Runner) -> dict:
    return {k: v.detach().clone() for k, v in runner.model.state_dict().items()}


def assert_same_weights(a: dict, b: dict) -> None:
    """Bit-exact on the CPU; cuDNN's backward may differ in the last bits."""
    assert a.keys() == b.keys()
    for key in a:
        tol = 0 if a[key].device.type == 'cpu' else 1e-5
        torch.testing.assert_close(
            a[key], b[key].to(a[key].device), rtol=tol, atol=tol, msg=key)


@pytest.fixture(scope='module')
def full_run(tmp_path_factory):
    """An uninterrupted 2-epoch run: its work dir and final weights."""
    work_dir = str(tmp_path_factory.mktemp('full'))
    runner = Runner(**runner_cfg(work_dir, 'resume_full'))
    runner.train()
    return work_dir, weights(runner)


def test_checkpoints_are_written(full_run):
    work_dir, _ = full_run
    for epoch in (1, 2):
        assert osp.isfile(osp.join(work_dir, f'epoch_{epoch}.pth'))


def test_resume_from_epoch_1_matches_uninterrupted_run(full_run, tmp_path):
    work_dir, full_weights = full_run
    runner = Runner(**runner_cfg(
        str(tmp_path),
        'resume_resumed',
        resume=True,
        load_from=osp.join(work_dir, 'epoch_1.pth')))
    probe = StartProbeHook()
    runner.register_hook(probe, priority='VERY_LOW')
    runner.train()
    # it really started from epoch 1 (4 iterations of 8 samples) ...
    assert probe.start == (1, 4)
    # ... with the message hub's history (a HistoryBuffer) restored
    assert len(runner.message_hub.get_scalar('train/loss').data[0]) == 8
    # ... and ends exactly where the uninterrupted run ended
    assert (runner.epoch, runner.iter) == (2, 8)
    assert_same_weights(weights(runner), full_weights)


def test_load_from_restores_weights(full_run, tmp_path):
    work_dir, full_weights = full_run
    runner = Runner(**runner_cfg(
        str(tmp_path),
        'resume_load_from',
        load_from=osp.join(work_dir, 'epoch_2.pth')))
    before = weights(runner)
    runner.load_or_resume()
    assert not all(torch.equal(before[k], full_weights[k]) for k in before)
    assert_same_weights(weights(runner), full_weights)


def test_mmpretrain_init_model_loads_runner_checkpoint(full_run):
    work_dir, full_weights = full_run
    cfg = Config(dict(model=runner_cfg(work_dir, 'unused')['model']))
    model = init_model(cfg, osp.join(work_dir, 'epoch_2.pth'), device='cpu')
    assert_same_weights(model.state_dict(), full_weights)
    assert model._dataset_meta['classes'] == ('dark', 'bright')
