"""Generated videos -> face tracks by the tool (dlib HOG) -> CAERDataset ->
one epoch of the video pipeline; resuming; videos without a face or that
cannot be decoded."""
import json
import os
import shutil

import mmengine
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import DATASETS

from glamor_mm.datasets.toy.caer_videos import (generate_toy_caer_videos,
                                                write_video)

HOG = 'configs/face_detectors/dlib_hog.py'


def _iou(a, b):
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0, x2 - x1) * max(0, y2 - y1)
    area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1])
    return inter / (area - inter)


@pytest.mark.slow  # detects, tracks and trains one epoch
def test_tracks_tool_to_one_epoch(tmp_path, run_tool, check_ok):
    root = tmp_path / 'caer'
    generate_toy_caer_videos(str(root), dict(train=1), num_frames=(8, 10))
    truth = {
        e['video_path']: e
        for e in mmengine.load(str(root / 'train_tracks.json'))['data_list']
    }
    # a video without a face and one that cannot be decoded
    write_video(
        str(root / 'train' / 'Neutral' / 'blank.avi'),
        [np.full((144, 192, 3), 128, np.uint8)] * 6, 10)
    (root / 'train' / 'Sad' / 'broken.avi').write_bytes(b'RIFF' + b'\0' * 99)
    out = root / 'tracks.json'
    args = [
        'tools/detect_face_tracks.py', HOG, '--data-root', root, '--split',
        'train', '--out', out
    ]
    proc = run_tool(list(map(str, args + ['--workers', 2])))
    # written without the broken video, which is reported: exit status 3
    assert proc.returncode == 3, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert '9 videos, 0 already done, detecting faces in 9' in proc.stdout
    assert ('8 videos, 1 without a face (face_track: null), 0 shorter'
            in proc.stdout)
    assert ('1 of 9 video(s) failed and were skipped:\n'
            '  train/Sad/broken.avi: ') in proc.stderr
    assert not os.path.exists(f'{out}.partial.jsonl')
    ann = mmengine.load(str(out))
    assert ann['metainfo']['face_tracks']['select'] == 'length'
    entries = {e['video_path']: e for e in ann['data_list']}
    assert entries['train/Neutral/blank.avi']['face_track'] is None
    assert entries['train/Neutral/blank.avi']['num_frames'] == 6
    assert 'train/Sad/broken.avi' not in entries
    failed = ann['metainfo']['failed']
    assert failed[0]['video_path'] == 'train/Sad/broken.avi'
    assert 'cannot be opened' in failed[0]['error']
    for rel, true in truth.items():
        entry = entries[rel]
        assert entry['gt_label'] == true['gt_label']
        assert entry['num_frames'] == true['num_frames'] == len(
            entry['face_track']) == len(entry['face_track_flags'])
        assert entry['fps'] == 10 and entry['file_size'] == true['file_size']
        # dlib finds the drawn faces in most frames; the filled track
        # follows the true face in every frame
        assert entry['face_track_flags'].count('d') >= 0.5 * len(
            entry['face_track_flags'])
        ious = [
            _iou(a, b) for a, b in zip(entry['face_track'], true['face_track'])
        ]
        assert min(ious) > 0.5, (rel, entry['face_track_flags'], ious)

    # the dataset refuses the undecodable video, naming it
    with pytest.raises(ValueError, match=r'could not decode .*broken.avi'):
        DATASETS.build(
            dict(
                type='CAERDataset',
                data_root=str(root),
                ann_file='tracks.json',
                split='train'))

    # resume: the broken video is removed, a new one added whose detections
    # an interrupted run left in the partial file (with a cut last line)
    os.remove(root / 'train' / 'Sad' / 'broken.avi')
    shutil.copy(root / 'train' / 'Happy' / '0000.avi',
                root / 'train' / 'Happy' / 'copy.avi')
    n = truth['train/Happy/0000.avi']['num_frames']
    record = dict(
        video_path='train/Happy/copy.avi',
        file_size=truth['train/Happy/0000.avi']['file_size'],
        num_frames=n,
        fps=10.0,
        height=144,
        width=192,
        detections=[[[[1, 2, 50, 60]], [1.0]]] * n)
    # the first line: the settings of the detections (those of the tracks
    # without the linking)
    ident = {
        k: v
        for k, v in ann['metainfo']['face_tracks'].items()
        if k not in ('select', 'iou_thr', 'max_gap')
    }
    with open(f'{out}.partial.jsonl', 'w') as f:
        f.write(json.dumps(ident) + '\n' + json.dumps(record) + '\n{"vid')
    proc = run_tool(list(map(str, args)))
    check_ok(proc)
    assert '9 videos, 9 already done, detecting faces in 0' in proc.stdout
    resumed = {
        e['video_path']: e
        for e in mmengine.load(str(out))['data_list']
    }
    assert resumed['train/Happy/copy.avi']['face_track'] == [[1, 2, 50, 60]
                                                             ] * n
    assert resumed['train/Happy/copy.avi']['face_track_flags'] == 'd' * n
    for rel in truth:
        assert resumed[rel] == entries[rel]

    # the tracks feed the video pipeline: one epoch of the training
    # pipeline of the toy video base config, shrunk
    cfg = Config.fromfile('configs/_base_/datasets/toy_caer_videos.py')
    init_default_scope('mmpretrain')
    pipeline = cfg.train_pipeline
    pipeline[0]['clip_len'] = 4
    dataset = DATASETS.build(
        dict(
            type='CAERDataset',
            data_root=str(root),
            ann_file='tracks.json',
            split='train',
            pipeline=pipeline))
    assert len(dataset) == 8  # the blank video is left out
    for i in range(len(dataset)):
        data = dataset[i]
        assert data['inputs']['face'].shape == (1, 3, 4, 96, 96)
        assert data['inputs']['context'].shape == (1, 3, 4, 112, 112)
        assert data['data_samples'].gt_label.item() == \
            dataset.get_data_info(i)['gt_label']


def test_broken_detector_stops_the_run(tmp_path, run_tool):
    """A detector that fails on every frame stops the run after
    --max-consecutive-failures videos; without a limit every video is
    reported and the exit status is 3."""
    root = tmp_path / 'caer'
    generate_toy_caer_videos(str(root), dict(train=1), num_frames=(3, 3))
    config = tmp_path / 'broken_hog.py'
    config.write_text(f"_base_ = [r'{os.path.abspath(HOG)}']\n"
                      'model = dict(data_preprocessor=dict('
                      'pad_size_divisor=0))\n')
    out = root / 'tracks.json'
    args = [
        'tools/detect_face_tracks.py', config, '--data-root', root, '--split',
        'train', '--out', out, '--max-consecutive-failures'
    ]
    proc = run_tool(list(map(str, args + [2])))
    assert proc.returncode == 1
    assert 'TooManyFailuresError: Stopped: 2 video(s) in a row' in proc.stderr
    assert ('.avi: face detection failed on frame 0: ZeroDivisionError: '
            'integer division or modulo by zero') in proc.stderr
    assert not out.exists()
    proc = run_tool(list(map(str, args + [0])))
    assert proc.returncode == 3, proc.stderr[-2000:]
    assert '7 of 7 video(s) failed and were skipped' in proc.stderr
    ann = mmengine.load(str(out))
    assert ann['data_list'] == [] and len(ann['metainfo']['failed']) == 7
