"""A real GlamorRunner saves, resumes and loads checkpoints under the
installed torch (>= 2.6 refuses MMEngine's checkpoints without
glamor_mm.checkpoint)."""
import importlib.util
import os
import os.path as osp
import signal
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.evaluator import BaseMetric
from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmpretrain.registry import METRICS
from mmpretrain.structures import DataSample
from torch.utils.data import Dataset

from glamor_mm.checkpoint import (CheckpointMismatchError,
                                  UntrustedCheckpointError, init_model_checked,
                                  is_readable_checkpoint, resumable_checkpoint)
from glamor_mm.engine import GlamorRunner
from glamor_mm.engine.hooks import add_strict_load_hook

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
TOY_CONFIG = osp.join(ROOT, 'configs', 'glamor',
                      'glamor_original_1xb32-12e_toy.py')


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


def runner_cfg(work_dir: str,
               name: str,
               max_epochs: int = 2,
               **kwargs) -> dict:
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
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9)),
        param_scheduler=dict(type='MultiStepLR', milestones=[1], gamma=0.1),
        default_hooks=dict(
            checkpoint=dict(type='SafeCheckpointHook', interval=1),
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
    return {
        k: v.detach().clone()
        for k, v in runner.model.state_dict().items()
    }


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
    runner = GlamorRunner(**runner_cfg(work_dir, 'resume_full'))
    runner.train()
    return work_dir, weights(runner)


def test_checkpoints_are_written(full_run):
    work_dir, _ = full_run
    for epoch in (1, 2):
        assert osp.isfile(osp.join(work_dir, f'epoch_{epoch}.pth'))


def test_resume_from_epoch_1_matches_uninterrupted_run(full_run, tmp_path):
    work_dir, full_weights = full_run
    runner = GlamorRunner(**runner_cfg(
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
    runner = GlamorRunner(**runner_cfg(
        str(tmp_path),
        'resume_load_from',
        load_from=osp.join(work_dir, 'epoch_2.pth')))
    before = weights(runner)
    runner.load_or_resume()
    assert not all(torch.equal(before[k], full_weights[k]) for k in before)
    assert_same_weights(weights(runner), full_weights)


class WriteMarker:
    """Unpickling this object runs code: it writes the marker file."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (exec, (f'open({self.marker!r}, "w").write("ran")', ))


def test_load_from_goes_through_the_safe_loader(full_run, tmp_path):
    """GlamorRunner reads load_from with glamor_mm's loader: a pickle that
    runs code is refused without running it (MMEngine's Runner would hand
    it to torch.load); MMEngine's own Runner checkpoints load (see
    test_load_from_restores_weights)."""
    work_dir, _ = full_run
    marker = tmp_path / 'marker.txt'
    state = torch.load(
        osp.join(work_dir, 'epoch_1.pth'), weights_only=False)['state_dict']
    evil = str(tmp_path / 'evil.pth')
    torch.save(dict(state_dict=state, x=WriteMarker(str(marker))), evil)
    runner = GlamorRunner(
        **runner_cfg(str(tmp_path), 'evil', load_from=evil, max_epochs=1))
    with pytest.raises(UntrustedCheckpointError, match='builtins.exec'):
        runner.load_or_resume()
    assert not marker.exists()


def test_init_model_checked_loads_runner_checkpoint(full_run):
    work_dir, full_weights = full_run
    cfg = Config(dict(model=runner_cfg(work_dir, 'unused')['model']))
    model = init_model_checked(cfg, osp.join(work_dir, 'epoch_2.pth'))
    assert_same_weights(model.state_dict(), full_weights)
    assert model._dataset_meta['classes'] == ('dark', 'bright')


def test_resume_skips_a_truncated_checkpoint(full_run, tmp_path):
    """A run killed while writing epoch_2.pth (the state MMEngine's
    non-atomic save left behind): auto and explicit resume use epoch_1."""
    src, full_weights = full_run
    work_dir = tmp_path / 'killed'
    work_dir.mkdir()
    for name in ('epoch_1.pth', 'epoch_2.pth'):
        (work_dir / name).write_bytes(open(osp.join(src, name), 'rb').read())
    last = str(work_dir / 'epoch_2.pth')
    (work_dir / 'last_checkpoint').write_text(last)
    data = open(last, 'rb').read()
    (work_dir / 'epoch_2.pth').write_bytes(data[:len(data) // 2])
    assert not is_readable_checkpoint(last)
    first = str(work_dir / 'epoch_1.pth')
    assert resumable_checkpoint(None, str(work_dir)) == first
    assert resumable_checkpoint(last, str(work_dir)) == first
    runner = GlamorRunner(**runner_cfg(
        str(work_dir), 'resume_killed', resume=True, load_from=first))
    probe = StartProbeHook()
    runner.register_hook(probe, priority='VERY_LOW')
    runner.train()
    assert probe.start == (1, 4)
    assert_same_weights(weights(runner), full_weights)
    # nothing readable: an error naming the files
    (work_dir / 'epoch_1.pth').write_bytes(b'')
    (work_dir / 'epoch_2.pth').write_bytes(b'')
    with pytest.raises(FileNotFoundError, match='epoch_2.pth, .*epoch_1.pth'):
        resumable_checkpoint(None, str(work_dir))


@METRICS.register_module(force=True)
class CallCountMetric(BaseMetric):
    """Scores 1, 2, 3... on successive evaluations: every epoch is a new
    best."""

    calls = 0

    def process(self, data_batch, data_samples) -> None:
        self.results.append(0)

    def compute_metrics(self, results) -> dict:
        CallCountMetric.calls += 1
        return dict(score=CallCountMetric.calls)


class FailBestSaveHook(Hook):
    """Raises while the best checkpoint of ``epoch`` is being saved, as a
    kill would interrupt it."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def before_save_checkpoint(self, runner, checkpoint) -> None:
        best = runner.message_hub.get_info('best_ckpt') or ''
        if best.endswith(f'epoch_{self.epoch}.pth') and \
                checkpoint['meta'].get('epoch') == self.epoch:
            raise KeyboardInterrupt('killed while saving the best checkpoint')


def test_old_best_checkpoint_is_kept_until_the_new_one_exists(tmp_path):
    CallCountMetric.calls = 0
    cfg = runner_cfg(
        str(tmp_path),
        'best_kill',
        val_dataloader=dict(
            dataset=TinyImageDataset(),
            batch_size=32,
            num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=False)),
        val_evaluator=dict(type='CallCountMetric'),
        val_cfg=dict(),
        default_hooks=dict(
            checkpoint=dict(
                type='SafeCheckpointHook',
                interval=1,
                max_keep_ckpts=1,
                save_best='score',
                rule='greater')))
    runner = GlamorRunner(**cfg)
    assert any(type(h).__name__ == 'SafeCheckpointHook' for h in runner.hooks)
    runner.register_hook(FailBestSaveHook(epoch=2))
    with pytest.raises(KeyboardInterrupt):
        runner.train()
    old_best = tmp_path / 'best_score_epoch_1.pth'
    assert is_readable_checkpoint(str(old_best))
    assert not (tmp_path / 'best_score_epoch_2.pth').exists()
    # max_keep_ckpts=1: epoch_2 was saved before validation, then epoch_1
    # removed
    assert sorted(p.name for p in tmp_path.glob('*.pth*')) == [
        'best_score_epoch_1.pth', 'epoch_2.pth'
    ]


KILLED_SAVE = '''
import os, signal, sys
import torch
import glamor_mm  # noqa: F401
from mmengine.runner import save_checkpoint
path = sys.argv[1]
atomic = dict(backend='atomic_local')  # SafeCheckpointHook's
save_checkpoint(dict(state_dict=dict(w=torch.zeros(1000))), path,
                backend_args=atomic)
def killed(fd):
    os.kill(os.getpid(), signal.SIGKILL)  # after the write, before rename
os.fsync = killed
save_checkpoint(dict(state_dict=dict(w=torch.ones(1000))), path,
                backend_args=atomic)
'''


def test_kill_during_a_save_keeps_the_previous_file(tmp_path):
    path = str(tmp_path / 'epoch_1.pth')
    proc = subprocess.run([sys.executable, '-c', KILLED_SAVE, path],
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert is_readable_checkpoint(path)
    assert torch.load(path)['state_dict']['w'].sum() == 0


def test_resume_after_an_architecture_change_names_the_parameter(
        full_run, tmp_path):
    """A 3-class head resumed from a 2-class checkpoint used to fail in the
    optimizer (a momentum buffer of the wrong shape), naming neither."""
    work_dir, _ = full_run
    ckpt = osp.join(work_dir, 'epoch_1.pth')
    cfg = Config(
        runner_cfg(
            str(tmp_path), 'resume_changed', resume=True, load_from=ckpt))
    cfg.model.head.num_classes = 3
    add_strict_load_hook(cfg, 'start a new run')
    runner = GlamorRunner(**cfg)
    with pytest.raises(CheckpointMismatchError) as err:
        runner.train()
    message = str(err.value)
    assert f'The weights in {ckpt} do not fit ImageClassifier' in message
    assert 'head.fc.weight (2, 120) (model: (3, 120))' in message


def test_train_checks_what_it_resumes_from(full_run, tmp_path, monkeypatch):
    """tools/train.py adds the check on --resume, even with
    --partial-load (which only applies to load_from)."""
    work_dir, _ = full_run
    spec = importlib.util.spec_from_file_location(
        'train_tool', osp.join(ROOT, 'tools', 'train.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    ckpt = osp.join(work_dir, 'epoch_1.pth')
    resume = ['--resume', ckpt, '--work-dir', str(tmp_path)]
    for extra, opt_in in ((resume, 'instead of resuming'),
                          (resume + ['--partial-load'], 'instead of resuming'),
                          ([], 'pass --partial-load'), (['--partial-load'],
                                                        None)):
        monkeypatch.setattr(sys, 'argv', ['train.py', TOY_CONFIG] + extra)
        cfg = tool.merge_args(Config.fromfile(TOY_CONFIG), tool.parse_args())
        hooks = [
            h.opt_in for h in cfg.get('custom_hooks', None) or []
            if h.type == 'StrictLoadHook'
        ]
        assert len(hooks) == (0 if opt_in is None else 1)
        assert opt_in is None or opt_in in hooks[0]


def test_resume_removes_temp_files_of_a_killed_save(tmp_path):
    """A save killed between write and rename leaves epoch_1.pth.tmp<pid>;
    resuming removes it (and keeps the temporary file of a running
    process)."""
    path = str(tmp_path / 'epoch_1.pth')
    proc = subprocess.run([sys.executable, '-c', KILLED_SAVE, path],
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    left = [p.name for p in tmp_path.glob('epoch_1.pth.tmp*')]
    assert len(left) == 1
    running = tmp_path / f'epoch_2.pth.tmp{os.getppid()}'
    running.write_bytes(b'being written')
    assert resumable_checkpoint(None, str(tmp_path)) == path
    assert sorted(
        p.name for p in tmp_path.iterdir()) == ['epoch_1.pth', running.name]
