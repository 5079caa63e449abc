import numpy as np
import pytest

from glamor_mm.apis import (fill_face_track, link_face_tracks,
                            select_main_track)


def _det(*boxes_scores):
    boxes = np.array([b for b, _ in boxes_scores], np.float32).reshape(-1, 4)
    return boxes, np.array([s for _, s in boxes_scores], np.float32)


A, B = [10, 10, 50, 50], [100, 10, 140, 50]


def test_link_follows_overlap_and_gaps():
    shift = [12, 10, 52, 50]  # IoU with A: 0.9
    detections = [
        _det((A, 0.9), (B, 2.0)),
        _det((shift, 0.8)),
        None,  # not run through the detector
        _det(),  # no face found
        _det((B, 2.0), (A, 0.7)),
        _det((B, 1.0)),
    ]
    tracks = link_face_tracks(detections, iou_thr=0.3, max_gap=3)
    assert [t['frames'] for t in tracks] == [[0, 1, 4], [0, 4, 5]]
    assert tracks[0]['boxes'][1] == shift
    assert tracks[1]['scores'] == [2.0, 2.0, 1.0]
    # B missed 2 detector runs (frames 1 and 3; frame 2 was not detected):
    # with max_gap=1 it starts a new track at frame 4
    tracks = link_face_tracks(detections, iou_thr=0.3, max_gap=1)
    assert [t['frames'] for t in tracks] == [[0, 1, 4], [0], [4, 5]]
    # with iou_thr=0.95 the shifted A starts a track of its own
    tracks = link_face_tracks(detections, iou_thr=0.95, max_gap=3)
    assert [t['frames'] for t in tracks] == [[0, 4], [0, 4, 5], [1]]
    assert link_face_tracks([None, _det()]) == []


def test_frames_not_detected_are_no_misses():
    """--detect-every 12 with max_gap 10: one track of a face moving 1 px a
    frame, not four tracks of one detection each."""
    detections = [
        _det(([10 + t, 10, 50 + t, 50], 1.)) if t % 12 == 0 else None
        for t in range(40)
    ]
    tracks = link_face_tracks(detections, iou_thr=0.3, max_gap=10)
    assert [t['frames'] for t in tracks] == [[0, 12, 24, 36]]
    boxes, flags = fill_face_track(tracks[0], 40)
    assert flags.count('d') == 4
    np.testing.assert_allclose(boxes[:37, 0], 10 + np.arange(37))


def test_select_main_track():
    long = dict(frames=[0, 1, 2], boxes=[A] * 3, scores=[0.1, 0.1, 0.1])
    sure = dict(frames=[0, 1], boxes=[B] * 2, scores=[2.0, 2.0])
    tie = dict(frames=[3, 4, 5], boxes=[B] * 3, scores=[0.2, 0.2, 0.2])
    assert select_main_track([long, sure]) is long
    assert select_main_track([long, sure, tie]) is tie
    assert select_main_track([long, sure], 'score') is sure
    assert select_main_track([]) is None
    with pytest.raises(ValueError, match='select'):
        select_main_track([long], 'area')


def test_fill_interpolates_and_extends():
    track = dict(frames=[2, 5], boxes=[[0, 0, 10, 10], [30, 0, 40, 30]])
    boxes, flags = fill_face_track(track, 8)
    assert flags == 'eediidee'
    np.testing.assert_allclose(boxes[:3], [[0, 0, 10, 10]] * 3)
    np.testing.assert_allclose(boxes[3], [10, 0, 20, 10 + 20 / 3])
    np.testing.assert_allclose(boxes[4], [20, 0, 30, 10 + 40 / 3])
    np.testing.assert_allclose(boxes[5:], [[30, 0, 40, 30]] * 3)
