"""FaceTracker, the one box tracker: its gap rule, frames without
detection, and faces that move, leave, come back and cross."""
import numpy as np
import pytest

from glamor_mm.apis import FaceTracker


def box_at(x, y=0., size=40.):
    return [x, y, x + size, y + size]


def test_gap_rule_counts_detector_runs_only():
    tracker = FaceTracker(max_gap=1)
    first, = tracker.update([box_at(0)])
    tracker.update([])  # one miss: kept
    assert tracker.tracks == [first] and first.misses == 1
    assert tracker.update([box_at(0)])[0] is first
    tracker.update([])
    tracker.update([])  # the second miss in a row ends it at once
    assert tracker.tracks == []
    assert tracker.update([box_at(0)])[0].id == 1
    # frames the detector did not run on are no misses
    for _ in range(20):
        tracker.skip()
    assert tracker.update([box_at(0)])[0].id == 1
    with pytest.raises(ValueError, match='max_gap'):
        FaceTracker(max_gap=-1)


def test_face_moves_between_detections():
    """Detected every 6th frame, moving 10 px a frame: 60 px between two
    detections (IoU 0) is followed by the motion model."""
    tracker = FaceTracker(max_gap=0)
    ids, boxes = [], []
    for t in range(37):
        face = box_at(10. * t)
        if t % 6 and t > 6:
            tracker.skip()
            track, = tracker.tracks
            boxes.append((tracker.predict(track), face))
            continue
        if t % 6 == 0 or t < 6:
            ids.append(tracker.update([face])[0].id)
    assert set(ids) == {0}
    for predicted, true in boxes:
        np.testing.assert_allclose(predicted, true, atol=1e-6)
    # without the motion model the face is lost at each detection
    still = FaceTracker(max_gap=5, motion=False)
    assert [still.update([box_at(60. * t)])[0].id
            for t in range(3)] == [0, 1, 2]


def test_face_leaves_and_comes_back():
    tracker = FaceTracker(max_gap=3, motion=False)
    track, = tracker.update([box_at(100)])
    for _ in range(3):  # out of the picture for 3 detector runs
        tracker.update([])
    assert tracker.update([box_at(102)])[0] is track
    for _ in range(4):  # 4 runs: the track ends, the face is new again
        tracker.update([])
    assert tracker.update([box_at(100)])[0].id == 1


def test_two_faces_crossing():
    """Two faces moving towards each other at nearly one height swap sides;
    each keeps its identity through the crossing (where their boxes
    overlap most), with a detection every frame or every 3rd frame."""
    for every in (1, 3):
        tracker = FaceTracker(max_gap=2)
        for t in range(31):
            left, right = box_at(5. * t), box_at(150 - 5. * t, 8.)
            if t % every:
                tracker.skip()
                continue
            # the detector's order of the faces changes from frame to frame
            order = [right, left] if t % 2 else [left, right]
            tracks = tracker.update(order)
            by_box = {tuple(b): tr.id for b, tr in zip(order, tracks)}
            assert by_box[tuple(left)] == 0 and by_box[tuple(right)] == 1, t
