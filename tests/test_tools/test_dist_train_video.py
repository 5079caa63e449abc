"""tools/dist_train.sh and dist_test.sh with 2 CPU processes on a video
config (the toy video quickstart with a tiny model)."""
import os.path as osp
import shutil
import socket

import mmengine
import pytest
import torch

from glamor_mm.datasets.toy.caer_videos import generate_toy_caer_videos

pytestmark = [
    pytest.mark.skipif(
        not torch.distributed.is_available()
        or not torch.distributed.is_gloo_available(),
        reason='needs torch.distributed with gloo'),
    pytest.mark.skipif(shutil.which('bash') is None, reason='needs bash'),
    pytest.mark.slow,  # two processes train (about a minute)
]

VIDEO_CONFIG = osp.join('configs', 'video',
                        'caernet-f-c-ca_original3d_1xb8-40e_toy-videos.py')
TINY_VIDEO_MODEL_OPTS = [
    'model.face_backbone.widths=[4,8,8,16,16]',
    'model.context_backbone.widths=[4,8,8,16,16]',
    'model.neck.context_channels=16', 'model.neck.hidden_channels=8',
    'model.head.face_channels=16', 'model.head.context_channels=16',
    'model.head.hidden_channels=8', 'model.head.fusion_hidden_channels=8'
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_dist_train_and_test_video_config(run_tool, check_ok, tmp_path):
    """Two ranks train on disjoint halves of the videos and end with the
    same weights; a 2-process test of videos with 1-3 clips each reports
    video- and clip-level accuracy over all test videos."""
    root = str(tmp_path / 'toy_videos')
    generate_toy_caer_videos(
        root,
        num_per_class=dict(train=2, validation=1, test=1),
        num_frames=(8, 16))
    work_dir = str(tmp_path / 'dist')
    config = tmp_path / 'dist_video_config.py'
    config.write_text(
        f'_base_ = [{osp.abspath(VIDEO_CONFIG)!r}]\n'
        "custom_imports = dict(imports=['glamor_mm', 'rank_record_hook'], "
        'allow_failed_imports=False)\n'
        "custom_hooks = [dict(type='RankRecordHook')]\n")
    data_opts = [
        f'{loader}.dataset.data_root={root}'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ] + [
        f'{loader}.num_workers=0'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ] + ['test_dataloader.batch_size=2']
    env = dict(OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    # 14 videos, 2 ranks x batch 4 -> 2 iterations per epoch
    proc = run_tool(
        [
            'bash', 'tools/dist_train.sh',
            str(config), '2', '--no-validate', '--work-dir', work_dir,
            '--cfg-options'
        ] + TINY_VIDEO_MODEL_OPTS + data_opts + [
            'train_dataloader.batch_size=4', 'train_cfg.max_epochs=1',
            'randomness.seed=0'
        ],
        env=dict(env, PORT=str(free_port())))
    check_ok(proc)
    assert 'Distributed training: True' in proc.stdout + proc.stderr
    rank0 = torch.load(osp.join(work_dir, 'rank0.pth'))
    rank1 = torch.load(osp.join(work_dir, 'rank1.pth'))
    seen0, seen1 = set(rank0['img_paths']), set(rank1['img_paths'])
    assert len(seen0) == len(seen1) == 7 and not seen0 & seen1
    assert all(path.endswith('.avi') for path in seen0 | seen1)
    for key, value in rank0['final'].items():
        assert torch.equal(value, rank1['final'][key]), key

    out = str(tmp_path / 'dist_metrics.json')
    proc = run_tool(
        [
            'bash', 'tools/dist_test.sh',
            str(config),
            osp.join(work_dir,
                     'epoch_1.pth'), '2', '--clip-level', '--work-dir',
            str(tmp_path / 'test'), '--out', out, '--out-item', 'metrics',
            '--cfg-options'
        ] + TINY_VIDEO_MODEL_OPTS + data_opts,
        env=dict(env, PORT=str(free_port())))
    check_ok(proc)
    metrics = mmengine.load(out)
    assert sum(map(sum, metrics['confusion_matrix/result'])) == 7
    # 8-16 frames with 8-frame clips at stride 4: 1 to 3 clips a video
    assert 7 <= metrics['clip_accuracy/num_clips'] <= 21
    assert 0 <= metrics['clip_accuracy/top1'] <= 100
    assert 0 <= metrics['accuracy/top1'] <= 100
