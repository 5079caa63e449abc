"""tools/test.py refuses a checkpoint that does not fit the config (it used
to report the metrics of random weights with exit code 0)."""
import pytest
import torch
from mmengine.config import Config, DictAction
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS


def test_test_refuses_a_checkpoint_that_does_not_fit(toy_config, tiny_toy_opts,
                                                     run_tool, check_ok,
                                                     tmp_path):
    path = str(tmp_path / 'five_classes.pth')
    # a 5-class head (the tiny model's classifier has 32 hidden units)
    torch.save(
        dict(state_dict={'head.classifier.3.weight': torch.zeros(5, 32)}),
        path)
    args = [
        'tools/test.py', toy_config, path, '--work-dir',
        str(tmp_path / 'test'), '--cfg-options',
        'test_dataloader.dataset.indices=7'
    ] + tiny_toy_opts
    proc = run_tool(args)
    assert proc.returncode != 0
    assert 'CheckpointMismatchError' in proc.stderr
    assert f'The weights in {path} do not fit GlamorClassifier' in proc.stderr
    assert '79 missing: neck.scorer.fc1.weight' in proc.stderr
    assert 'head.classifier.3.weight (5, 32) (model: (7, 32))' in proc.stderr
    assert '--partial-load' in proc.stderr
    assert 'accuracy/top1' not in proc.stdout + proc.stderr
    proc = run_tool(args[:3] + ['--partial-load'] + args[3:])
    check_ok(proc)
    assert 'accuracy/top1' in proc.stdout + proc.stderr


@pytest.mark.parametrize('damage', ['numpy', 'flipped byte'])
def test_test_refuses_weights_that_would_load_wrongly(
        toy_config, tiny_model_opts, tiny_toy_opts, run_tool,
        flip_checkpoint_byte, tmp_path, damage):
    """Right names and shapes, wrong content: numpy arrays (skipped by the
    non-strict load, leaving random weights) or a byte flipped inside a
    tensor (loaded as a changed weight) used to give exit code 0."""
    cfg = Config.fromfile(toy_config)
    cfg.merge_from_dict({
        key: DictAction._parse_iterable(value)
        for key, value in (o.split('=', 1) for o in tiny_model_opts)
    })
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        state_dict = MODELS.build(cfg.model).state_dict()
    path = str(tmp_path / 'model.pth')
    if damage == 'numpy':
        state_dict = {k: v.numpy() for k, v in state_dict.items()}
    torch.save(dict(state_dict=state_dict), path)
    if damage == 'flipped byte':
        flip_checkpoint_byte(path)
    proc = run_tool([
        'tools/test.py', toy_config, path, '--work-dir',
        str(tmp_path / 'test'), '--cfg-options',
        'test_dataloader.dataset.indices=7'
    ] + tiny_toy_opts)
    assert proc.returncode != 0
    assert 'accuracy/top1' not in proc.stdout + proc.stderr
    if damage == 'numpy':
        assert 'CheckpointMismatchError' in proc.stderr
        assert '91 not tensors: neck.scorer.fc1.weight' in proc.stderr
        assert '(numpy.ndarray)' in proc.stderr
    else:
        assert 'CorruptCheckpointError' in proc.stderr
        assert f'Cannot load {path}: the CRC-32 of its record model/data/' \
            in proc.stderr
