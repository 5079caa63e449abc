"""A Table-4 config trained by tools/dist_train.sh with 2 CPU processes.

Same mechanism as tests/test_tools/test_dist_train.py (which runs the toy
quickstart config): the training processes import its ``RankRecordHook``.
"""
import os
import os.path as osp
import shutil
import socket
import subprocess
import sys

import pytest
import torch

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
ROW = 'ablation/glamor-f-mc-ca_original_1xb32-60e_ncaers.py'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.mark.skipif(
    not torch.distributed.is_available()
    or not torch.distributed.is_gloo_available(),
    reason='needs torch.distributed with gloo')
@pytest.mark.skipif(shutil.which('bash') is None, reason='needs bash')
def test_two_process_gloo_training(toy_root, tmp_path):
    work_dir = str(tmp_path / 'dist')
    # the toy-data wrapper of the row + the hook saving every rank's weights
    config = tmp_path / 'dist_config.py'
    config.write_text(
        f"_base_ = [{osp.join(REPO, 'configs', 'toy', 'on_toy_caers.py')!r}]\n"
        "custom_imports = dict(imports=['glamor_mm', 'rank_record_hook'], "
        'allow_failed_imports=False)\n'
        "custom_hooks = [dict(type='FusionWeightHook'), "
        "dict(type='RankRecordHook')]\n")
    # one short epoch: 7 images, 2 per process and batch -> 2 iterations
    options = [
        f'{loader}.dataset.data_root={toy_root}'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ] + [
        'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False', 'train_cfg.max_epochs=1',
        'train_cfg.val_interval=10'
    ]
    env = dict(
        os.environ,
        ROW_CONFIG=osp.join(REPO, 'configs', ROW),
        PORT=str(free_port()),
        PYTHON=sys.executable,
        OMP_NUM_THREADS='1',
        PYTHONPATH=os.pathsep.join(
            [REPO, osp.join(REPO, 'tests', 'test_tools')]))
    proc = subprocess.run(
        [
            'bash', 'tools/dist_train.sh',
            str(config), '2', '--work-dir', work_dir, '--cfg-options'
        ] + options,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900)
    assert proc.returncode == 0, proc.stderr[-6000:] + proc.stdout[-3000:]
    assert 'fusion weights: w_face=' in proc.stdout + proc.stderr

    rank0 = torch.load(osp.join(work_dir, 'rank0.pth'))
    rank1 = torch.load(osp.join(work_dir, 'rank1.pth'))
    # the 7 images split over the ranks (the sampler pads to 2 x 4) ...
    assert len(rank0['img_paths']) == len(rank1['img_paths']) == 4
    assert len(set(rank0['img_paths']) | set(rank1['img_paths'])) == 7
    # ... and both ranks end with the same, trained weights
    final0, final1 = rank0['final'], rank1['final']
    assert final0.keys() == final1.keys()
    assert any(k.startswith('neck.') for k in final0)
    for key, value in final0.items():
        assert torch.equal(value, final1[key]), key
    assert any(not torch.equal(v, rank0['init'][k]) for k, v in final0.items())
    # rank 0 saved those weights after 2 iterations
    ckpt = torch.load(
        osp.join(work_dir, 'epoch_1.pth'),
        map_location='cpu',
        weights_only=False)
    assert ckpt['meta']['iter'] == 2
    for key, value in final0.items():
        assert torch.equal(ckpt['state_dict'][key], value), key
