"""VideoFaceRecognizer on frames of a real photo: the face followed between
detections, a face that leaves and comes back, classification every N-th
frame, and the every-frame setting equal to GlamorInferencer."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmdet.structures.bbox import bbox_overlaps

from glamor_mm.apis import (GlamorInferencer, StageTimer, VideoFaceRecognizer,
                            detect_faces)


ROOT = osp.join(osp.dirname(__file__), '..', '..')
MODEL_CFG = osp.join(ROOT, 'configs/glamor/glamor_original_1xb32-12e_toy.py')


@pytest.fixture(scope='module')
def inferencer():
    torch.manual_seed(0)
    return GlamorInferencer(MODEL_CFG, det_score_thr=0.3)


@pytest.fixture(scope='module')
def frames(real_photos):
    """16 frames of 360x640: the astronaut's head moving right 6 px a
    frame; frames 6-9 without anyone."""
    head = real_photos['astronaut']['img'][20:260, 120:330]
    video = []
    for t in range(16):
        frame = np.full((360, 640, 3), 90, np.uint8)
        if not 6 <= t <= 9:
            frame[40:280, 20 + 6 * t:230 + 6 * t] = head
        video.append(frame)
    return video


def iou(a, b):
    return float(
        bbox_overlaps(
            torch.tensor(np.asarray(a, np.float32)).reshape(1, 4),
            torch.tensor(np.asarray(b, np.float32)).reshape(1, 4)))


def test_face_followed_between_detections(inferencer, frames):
    timer = StageTimer()
    recognizer = VideoFaceRecognizer(
        inferencer, detect_every=3, max_gap=0, timer=timer)
    reports = [recognizer(frame) for frame in frames]
    # moving: the box of a frame without detection is where the detector
    # would find the face
    for t in (1, 2, 4, 5):
        face, = reports[t]
        found, _ = detect_faces(inferencer.detector, frames[t], 0.3)[0]
        assert iou(face.face_bbox, found[0]) > 0.8, t
        assert face.track_id == 0
    # gone at frame 6: missed by the frame-6 detection, no more reported
    assert reports[6] == [] and reports[7] == []
    # back at frame 10: found by the next scheduled detection (frame 12),
    # as a new face
    assert [len(r) for r in reports[10:]] == [0, 0, 1, 1, 1, 1]
    assert reports[12][0].track_id == 1
    assert 'detect' in timer.seconds and 'classify' in timer.seconds


def test_classify_every_second_frame(inferencer, frames):
    recognizer = VideoFaceRecognizer(
        inferencer, detect_every=1, classify_every=2, alpha=0.)
    first, second, third = (recognizer(f)[0] for f in frames[:3])
    # frame 1 shows frame 0's scores at frame 1's box
    torch.testing.assert_close(second.pred_score, first.pred_score)
    found, _ = detect_faces(inferencer.detector, frames[1], 0.3)[0]
    np.testing.assert_allclose(second.face_bbox, found[0])
    expected, = inferencer.classify_faces(frames[2])
    torch.testing.assert_close(third.pred_score, expected.pred_score)


def test_every_frame_setting_is_the_plain_pipeline(inferencer, frames):
    recognizer = VideoFaceRecognizer(
        inferencer, detect_every=1, classify_every=1, alpha=0.)
    for frame in frames[:4]:
        face, = recognizer(frame)
        expected, = inferencer.classify_faces(frame)
        np.testing.assert_allclose(face.face_bbox, expected.face_bbox)
        torch.testing.assert_close(face.pred_score, expected.pred_score)
    with pytest.raises(ValueError, match='det_scale'):
        VideoFaceRecognizer(inferencer, det_scale=1.5)
