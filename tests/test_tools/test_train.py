"""tools/train.py and tools/test.py on small generated toy data."""
import argparse
import os.path as osp

import mmengine
import numpy as np
import pytest
import torch

from glamor_mm.datasets.categories import CAER_CLASSES

# the trainings take minutes
pytestmark = pytest.mark.slow


def test_train_saves_checkpoints(trained):
    last = open(osp.join(trained, 'last_checkpoint')).read().strip()
    assert osp.basename(last) == 'epoch_8.pth'
    ckpt = torch.load(last, map_location='cpu', weights_only=False)
    assert ckpt['meta']['epoch'] == 8
    assert ckpt['meta']['dataset_meta']['classes'] == CAER_CLASSES


def test_test_reports_metrics_and_dumps_predictions(trained, toy_config,
                                                    tiny_toy_opts, run_tool,
                                                    check_ok, tmp_path):
    """A short run beats what one view alone reaches; test.py prints per-class
    accuracy and the confusion matrix and dumps the predictions."""
    ckpt = osp.join(trained, 'epoch_8.pth')
    pred_file = str(tmp_path / 'preds.pkl')
    proc = run_tool([
        'tools/test.py', toy_config, ckpt, '--work-dir',
        str(tmp_path / 'test'), '--out', pred_file, '--cfg-options'
    ] + tiny_toy_opts)
    check_ok(proc)
    output = proc.stdout + proc.stderr
    assert 'single-label/recall_classwise (%):' in output
    assert 'confusion matrix (rows: ground truth' in output
    for name in CAER_CLASSES:
        assert f'  {name}' in output

    preds = mmengine.load(pred_file)
    assert len(preds) == 70  # 10 test images per class
    gt = np.array([int(p['gt_label'][0]) for p in preds])
    pred = np.array([int(p['pred_label'][0]) for p in preds])
    assert np.bincount(gt, minlength=7).tolist() == [10] * 7
    for p in preds:
        assert p['pred_score'].shape == (7, )
        assert abs(float(p['pred_score'].sum()) - 1) < 1e-4
        assert osp.isfile(p['img_path'])
    accuracy = (pred == gt).mean()
    # Face or context alone reach at most 57.1 % on the toy data, so only a
    # model that uses both views passes (runs measured: 72.9 % with 1 torch
    # thread, 81.4 % with 2).
    assert accuracy >= 0.65, (
        f'test accuracy {accuracy:.2%}: not above what one view alone '
        'reaches (57.1 %); chance is 14.3 %')
    # the logged accuracy is the one of the dumped predictions
    assert f'accuracy/top1: {accuracy * 100:.4f}' in output


def test_test_dumps_metrics(trained, toy_config, tiny_toy_opts, run_tool,
                            check_ok, tmp_path):
    ckpt = osp.join(trained, 'epoch_8.pth')
    out = str(tmp_path / 'metrics.json')
    proc = run_tool([
        'tools/test.py', toy_config, ckpt, '--work-dir',
        str(tmp_path /
            'test'), '--out', out, '--out-item', 'metrics', '--cfg-options'
    ] + tiny_toy_opts)
    check_ok(proc)
    metrics = mmengine.load(out)
    matrix = np.array(metrics['confusion_matrix/result'])
    assert matrix.shape == (7, 7) and matrix.sum() == 70
    classwise = np.array(metrics['single-label/recall_classwise'])
    np.testing.assert_allclose(
        classwise, 100 * np.diag(matrix) / matrix.sum(1), atol=1e-3)
    assert metrics['accuracy/top1'] == pytest.approx(
        100 * np.trace(matrix) / 70, abs=1e-3)


def test_resume_equals_uninterrupted_run(toy_config, tiny_toy_opts, run_tool,
                                         check_ok, tmp_path):
    """2 epochs in one go == 1 epoch, then ``--resume`` for the 2nd.

    Dropout is off and loader workers are re-created every epoch (MMEngine
    seeds them from the run's seed), so both runs draw the same random
    numbers; the checkpoint restores weights, optimizer momentum, scheduler
    and epoch counter. Bit-exact on the CPU with a fixed thread count.
    """
    opts = tiny_toy_opts + [
        'model.head.dropout=0', 'train_dataloader.batch_size=16',
        'train_dataloader.num_workers=1', 'randomness.seed=0',
        # max_epochs=1 stands for the interruption; MMEngine clips a
        # scheduler's default `end` to max_epochs, so fix it explicitly
        'param_scheduler.end=12'
    ]
    # one BLAS thread: MKL may otherwise split a GEMM's reduction
    # differently from run to run on a busy machine (last-bit differences)
    env = dict(OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    common = ['--no-validate', '--no-persistent-workers']
    full, part = str(tmp_path / 'full'), str(tmp_path / 'part')
    check_ok(
        run_tool(['tools/train.py', toy_config, '--work-dir', full] + common +
                 ['--cfg-options', 'train_cfg.max_epochs=2'] + opts,
                 env=env))
    check_ok(
        run_tool(['tools/train.py', toy_config, '--work-dir', part] + common +
                 ['--cfg-options', 'train_cfg.max_epochs=1'] + opts,
                 env=env))
    proc = run_tool(['tools/train.py', toy_config, '--work-dir', part] +
                    common +
                    ['--resume', '--cfg-options', 'train_cfg.max_epochs=2'] +
                    opts,
                    env=env)
    check_ok(proc)
    assert 'resumed epoch: 1' in proc.stdout + proc.stderr

    def load(path):
        return torch.load(path, map_location='cpu', weights_only=False)

    a, b = load(osp.join(full,
                         'epoch_2.pth')), load(osp.join(part, 'epoch_2.pth'))
    epoch1 = load(osp.join(part, 'epoch_1.pth'))
    assert a['state_dict'].keys() == b['state_dict'].keys()
    changed = 0
    for key, value in a['state_dict'].items():
        assert torch.equal(value, b['state_dict'][key]), key
        changed += not torch.equal(value, epoch1['state_dict'][key])
    assert changed > 0  # the second epoch did train
    assert a['meta']['epoch'] == b['meta']['epoch'] == 2
    assert a['param_schedulers'] == b['param_schedulers']


def test_amp_on_cpu_trains_in_bfloat16(toy_config, tiny_toy_opts, run_tool,
                                       check_ok, tmp_path):
    """``--amp`` without a GPU trains with BF16AmpOptimWrapper where the
    CPU computes bfloat16, and stops clearly where it does not."""
    from glamor_mm.engine import cpu_has_bf16
    if torch.cuda.is_available():
        pytest.skip('--amp uses float16 on a CUDA GPU')
    proc = run_tool([
        'tools/train.py', toy_config, '--amp', '--work-dir',
        str(tmp_path), '--no-validate', '--cfg-options'
    ] + tiny_toy_opts + [
        'train_cfg.max_epochs=1', 'train_dataloader.batch_size=16',
        'default_hooks.checkpoint.interval=100'
    ])
    if not cpu_has_bf16():
        assert proc.returncode != 0
        assert 'needs a CPU with AVX-512 BF16 or AMX' in proc.stderr
        assert 'Traceback' not in proc.stderr
        return
    check_ok(proc)
    dumped = open(tmp_path / osp.basename(toy_config)).read()
    assert "type='BF16AmpOptimWrapper'" in dumped
    assert 'loss: ' in proc.stdout + proc.stderr


def test_test_trust_checkpoint(trained, toy_config, tiny_toy_opts, run_tool,
                               check_ok, tmp_path):
    """A checkpoint with a type MMEngine checkpoints do not hold is refused
    with a hint; ``--trust-checkpoint`` loads it."""
    ckpt = torch.load(
        osp.join(trained, 'epoch_8.pth'), map_location='cpu',
        weights_only=False)
    ckpt['meta']['extra'] = argparse.Namespace(note='not an MMEngine type')
    path = str(tmp_path / 'extra.pth')
    torch.save(ckpt, path)
    args = [
        'tools/test.py', toy_config, path, '--work-dir',
        str(tmp_path / 'test'), '--cfg-options'
    ] + tiny_toy_opts
    proc = run_tool(args)
    assert proc.returncode != 0
    assert '--trust-checkpoint' in proc.stderr
    check_ok(run_tool(args[:3] + ['--trust-checkpoint'] + args[3:]))


def test_compile_option_adds_the_hook(toy_config, monkeypatch, tmp_path):
    """``--compile backbones|model`` adds one CompileModelHook (beside the
    hooks train.py adds anyway) with a persistent Inductor cache."""
    import importlib.util

    from mmengine.config import Config
    path = osp.join(osp.dirname(__file__), '..', '..', 'tools', 'train.py')
    spec = importlib.util.spec_from_file_location('train_tool', path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    for choice, targets in (('backbones', None), ('model', [''])):
        monkeypatch.setattr('sys.argv', [
            'train.py', toy_config, '--compile', choice, '--work-dir',
            str(tmp_path)
        ])
        cfg = tool.merge_args(Config.fromfile(toy_config), tool.parse_args())
        monkeypatch.setattr(
            'sys.argv', ['train.py', toy_config, '--work-dir',
                         str(tmp_path)])
        plain = tool.merge_args(Config.fromfile(toy_config), tool.parse_args())
        assert len(cfg.custom_hooks) == len(plain.custom_hooks) + 1
        compile_hooks = [
            h for h in cfg.custom_hooks if h['type'] == 'CompileModelHook'
        ]
        assert len(compile_hooks) == 1
        hook = compile_hooks[0]
        assert hook.get('targets') == targets
        assert hook['cache_dir'].endswith(
            osp.join('.cache', 'glamor_mm', 'inductor'))
