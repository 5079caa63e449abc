"""tools/dist_train.sh and dist_test.sh with 2 processes on the CPU (gloo)."""
import os.path as osp
import shutil
import socket

import mmengine
import pytest
import torch

pytestmark = [
    pytest.mark.skipif(
        not torch.distributed.is_available()
        or not torch.distributed.is_gloo_available(),
        reason='needs torch.distributed with gloo'),
    pytest.mark.skipif(shutil.which('bash') is None, reason='needs bash'),
    pytest.mark.slow,  # two processes train (about a minute)
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_dist_train_and_test_two_cpu_processes(toy_config, tiny_toy_opts,
                                               small_toy_root, run_tool,
                                               check_ok, tmp_path):
    """Both ranks train on disjoint halves of the data and end with the same
    weights (gradients are all-reduced); a 2-process test gathers the same
    metrics as a single-process one."""
    work_dir = str(tmp_path / 'dist')
    config = tmp_path / 'dist_config.py'
    config.write_text(
        f'_base_ = [{toy_config!r}]\n'
        "custom_imports = dict(imports=['glamor_mm', 'rank_record_hook'], "
        'allow_failed_imports=False)\n'
        "custom_hooks = [dict(type='RankRecordHook')]\n")
    env = dict(OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    # 112 images, 2 ranks x batch 8 -> 7 iterations per epoch
    opts = tiny_toy_opts + [
        'train_dataloader.batch_size=8', 'train_dataloader.num_workers=0',
        'train_cfg.max_epochs=1', 'randomness.seed=0'
    ]
    proc = run_tool([
        'bash', 'tools/dist_train.sh',
        str(config), '2', '--no-validate', '--work-dir', work_dir,
        '--cfg-options'
    ] + opts,
                    env=dict(env, PORT=str(free_port())))
    check_ok(proc)
    assert 'Distributed training: True' in proc.stdout + proc.stderr

    rank0 = torch.load(osp.join(work_dir, 'rank0.pth'))
    rank1 = torch.load(osp.join(work_dir, 'rank1.pth'))
    # each rank saw its own half of the training images ...
    seen0, seen1 = set(rank0['img_paths']), set(rank1['img_paths'])
    assert len(rank0['img_paths']) == len(rank1['img_paths']) == 56
    assert not seen0 & seen1
    assert len(seen0 | seen1) == 112
    # ... and still both end with the same, trained weights
    assert rank0['final'].keys() == rank1['final'].keys()
    moved = 0
    for key, value in rank0['final'].items():
        assert torch.equal(value, rank1['final'][key]), key
        assert torch.equal(rank0['init'][key], rank1['init'][key]), key
        moved += not torch.equal(value, rank0['init'][key])
    assert moved == len(rank0['final'])
    # rank 0 saved those weights
    ckpt = torch.load(
        osp.join(work_dir, 'epoch_1.pth'), map_location='cpu',
        weights_only=False)
    assert ckpt['meta']['iter'] == 7
    for key, value in rank0['final'].items():
        assert torch.equal(ckpt['state_dict'][key], value), key

    # distributed test == single-process test
    ckpt_path = osp.join(work_dir, 'epoch_1.pth')
    metrics = {}
    for name, launcher in (('single', ['tools/test.py']),
                           ('dist', ['bash', 'tools/dist_test.sh'])):
        out = str(tmp_path / f'{name}_metrics.json')
        args = launcher + [str(config), ckpt_path]
        args += ['2'] if name == 'dist' else []
        proc = run_tool(
            args + [
                '--work-dir',
                str(tmp_path / name), '--out', out, '--out-item', 'metrics',
                '--cfg-options'
            ] + tiny_toy_opts,
            env=dict(env, PORT=str(free_port())))
        check_ok(proc)
        metrics[name] = mmengine.load(out)
    assert sum(map(sum, metrics['dist']['confusion_matrix/result'])) == 70
    assert metrics['dist'] == metrics['single']
