"""benchmark_caer_video_path.py on 3 short clips: the counts, rates and
derived times of its tables agree with each other and with the clips."""
import json
import os.path as osp
import sys
from types import SimpleNamespace

import cv2
import numpy as np
import pytest
import benchmark_caer_video_path as tool
import benchmark_pipeline


def test_tables_are_consistent(tmp_path, monkeypatch, capsys):
    # the DataLoader timing reads a clock that advances 1 s per reading:
    # each timed measure then lasts 1 s and its rate is its clip count
    clock = iter(range(10**6))
    monkeypatch.setattr(benchmark_pipeline, 'time',
                        SimpleNamespace(perf_counter=lambda: next(clock)))
    root = str(tmp_path / 'clips')
    monkeypatch.setattr(sys, 'argv', [
        'benchmark_caer_video_path.py', root, '--num-clips', '3',
        '--num-frames', '50', '60', '--detect-clips', '2', '--detect-workers',
        '1', '--workers', '0', '1', '--batch-size', '1', '--num-samples', '2',
        '--rounds', '1'
    ])
    result = tool.main()
    out = capsys.readouterr().out

    # the clips: CAER's layout, size and codec
    with open(osp.join(root, 'clips.json')) as f:
        lengths = json.load(f)['lengths']
    assert len(lengths) == 3 and all(50 <= n <= 60 for n in lengths)
    assert (result['clips'], result['frames']) == (3, sum(lengths))
    capture = cv2.VideoCapture(osp.join(root, 'train', 'Anger', '0000.avi'))
    assert capture.get(cv2.CAP_PROP_FRAME_WIDTH) == 712
    assert capture.get(cv2.CAP_PROP_FRAME_HEIGHT) == 400
    assert capture.get(cv2.CAP_PROP_FRAME_COUNT) == lengths[0]
    fourcc = int(capture.get(cv2.CAP_PROP_FOURCC))
    assert fourcc.to_bytes(4, 'little').decode().upper() in ('XVID', 'FMP4')
    capture.release()

    # face tracks of the first 2 clips: the detector finds the astronaut
    # where the generated tracks say, and the rates are the counts over
    # the time after the start-up
    with open(osp.join(root, 'train_tracks.json')) as f:
        truth = json.load(f)['data_list']
    with open(osp.join(root, 'detect_tracks.json')) as f:
        detected = json.load(f)['data_list']
    assert [e['num_frames'] for e in truth] == lengths
    assert [e['video_path'] for e in detected
            ] == ['detect/Anger/0000.avi', 'detect/Disgust/0001.avi']
    for found, true in zip(detected, truth):
        assert found['num_frames'] == true['num_frames']
        assert found['num_detected'] >= 0.9 * found['num_frames']
        found_boxes = np.array(found['face_track'])
        true_boxes = np.array(true['face_track'])
        low = np.maximum(found_boxes[:, :2], true_boxes[:, :2])
        high = np.minimum(found_boxes[:, 2:], true_boxes[:, 2:])
        inter = np.prod(np.clip(high - low, 0, None), axis=1)
        areas = [
            np.prod(b[:, 2:] - b[:, :2], 1) for b in (found_boxes, true_boxes)
        ]
        assert (inter / (sum(areas) - inter)).min() > 0.6  # IoU per frame
    (row, ) = result['face_tracks']
    work = row['seconds'] - row['startup']
    frames = sum(lengths[:2])
    assert (row['clips'], row['frames']) == (2, frames)
    assert row['clips_per_s'] * work == pytest.approx(2)
    assert row['frames_per_s'] * work == pytest.approx(frames)
    assert (f'| 1 process(es) | 2 | {frames} | {row["seconds"]:.1f} | '
            f'{row["startup"]:.1f} | {row["clips_per_s"]:.2f} | '
            f'{row["frames_per_s"]:.1f} |') in out
    # all of CAER on 16 cores: its frames at 16 times the measured rate
    (how, hours), = result['caer_hours']
    assert how.startswith('16 cores')
    assert hours == pytest.approx(tool.CAER_FRAMES /
                                  (16 * row['frames_per_s']) / 3600)
    assert f'| {how} | {hours:.1f} |' in out

    # the pipeline: 2 clips asked for, batch 1 -> 2 clips in each second
    variants = [
        f'{c}, {w} workers' for c in ('uncached', 'cached') for w in (0, 1)
    ]
    assert result['pipeline'] == dict.fromkeys(variants, 2.0)
    assert '| uncached, 0 workers | 2.0 | 2.0 | - | - |' in out
    # memory: a worker's RSS holds its USS, and none without workers
    for name in variants:
        rss, uss = result['memory'][name]
        if name.endswith('0 workers'):
            assert np.isnan(rss) and np.isnan(uss)
        else:
            assert rss > uss > 0
            assert f'| {name} | 2.0 | 2.0 | {rss:.0f} | {uss:.0f} |' in out
    assert osp.isdir(osp.join(root, 'cache'))
    # the clips are reused by a run with the same settings
    assert tool.generate_clips(root, 3, (50, 60), 30, 2) == lengths
