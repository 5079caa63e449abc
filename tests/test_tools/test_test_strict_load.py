"""tools/test.py refuses a checkpoint that does not fit the config (it used
to report the metrics of random weights with exit code 0)."""
import torch


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
