"""FaceClipTracker on a toy video with a tiny random clip model, and the
clip mode of demo/video_demo.py."""
import os
import os.path as osp
import subprocess
import sys

import cv2
import mmengine
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS, TRANSFORMS

from glamor_mm.apis import FaceClipTracker, detect_faces
from glamor_mm.apis.video_frames import read_video_frames
from glamor_mm.datasets.toy.caer_videos import generate_toy_caer_videos

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
# The toy video base with 4-frame clips of small views and a 3D model of
# narrow encoders (random weights).
TINY_CLIP_CONFIG = f'''
_base_ = ['{ROOT}/configs/_base_/datasets/toy_caer_videos.py']
custom_imports = dict(imports=['glamor_mm'], allow_failed_imports=False)
default_scope = 'mmpretrain'
# normalisation and BGR -> RGB that the model must get (as in training)
data_preprocessor = dict(
    type='TwoViewDataPreprocessor',
    face_mean=[100., 110., 120.],
    face_std=[50., 40., 30.],
    context_mean=[90., 80., 70.],
    context_std=[20., 30., 40.],
    to_rgb=True)
test_dataloader = dict(dataset=dict(pipeline=[
    dict(type='SampleClipFrames', clip_len=4, stride=2, test_mode=True),
    dict(type='LoadVideoFrames'),
    dict(
        _base_.broadcast_to_frames,
        transforms=[
            dict(type='CropFace', scale=(32, 32)),
            dict(type='MaskFace'),
            dict(type='Resize', scale=(48, 36)),
            dict(type='CenterCrop', crop_size=32),
        ]),
    dict(type='PackTwoViewClipInputs'),
]))
encoder = dict(
    type='GlamorEncoder',
    widths=(4, 8),
    pools=((1, 2, 2), False),
    conv_cfg=dict(type='Conv3d'),
    norm_cfg=dict(type='BN3d'))
model = dict(
    type='GlamorClassifier',
    face_backbone=encoder,
    context_backbone=encoder,
    neck=dict(type='GlobalAveragePoolingTwoViewNeck'),
    head=dict(
        type='FusionHead',
        num_classes=7,
        face_channels=8,
        context_channels=8,
        fusion='concat',
        hidden_channels=8,
        loss=dict(type='CrossEntropyLoss')))
'''


@pytest.fixture(scope='module')
def clip_setup(tmp_path_factory):
    root = tmp_path_factory.mktemp('clip_demo')
    generate_toy_caer_videos(
        str(root), dict(test=1), seed=2, num_frames=(12, 12))
    config = root / 'tiny_clip.py'
    config.write_text(TINY_CLIP_CONFIG)
    video = root / 'test' / 'Happy' / '0000.avi'
    track = mmengine.load(str(root / 'test_tracks.json'))['data_list'][3]
    return str(config), str(video), track


def test_sliding_window_per_face(clip_setup):
    config, video, track = clip_setup
    tracker = FaceClipTracker(config, det_score_thr=0.)
    assert tracker.clip_len == 4 and tracker.target_fps == 10
    # 10 fps: every frame is sampled; 30 fps: every 3rd; 25: 0, 2, 5, 7...
    assert all(tracker.is_sampled(i, 10) for i in range(5))
    assert [i for i in range(12) if tracker.is_sampled(i, 30)] == [0, 3, 6, 9]
    assert [i for i in range(8) if tracker.is_sampled(i, 25)] == [0, 2, 5, 7]
    labelled = []
    for frame in read_video_frames(video):
        faces = tracker.update(frame)
        assert len(tracker.tracks) <= 2
        assert all(len(t.data['views']) <= 4 for t in tracker.tracks)
        labelled.append(faces)
    # the face is found in (nearly) every frame: one track, labelled from
    # its 4th frame on, its box that of the frame
    ids = {f.track_id for faces in labelled for f in faces}
    assert ids == {0}
    assert labelled[0] == [] and labelled[2] == []
    assert sum(len(f) == 1 for f in labelled) >= 7
    for faces, true_box in zip(labelled, track['face_track']):
        for face in faces:
            assert face.pred_score.shape == (7, )
            assert abs(float(face.pred_score.sum()) - 1) < 1e-5
            x1, y1, x2, y2 = face.face_bbox
            assert abs((x1 + x2) / 2 - (true_box[0] + true_box[2]) / 2) < 20


def test_window_is_classified_as_the_dataset_clip(clip_setup, tmp_path):
    """The tracker's prediction for a window equals model.test_step on the
    dataset pipeline's clip of the same frames and face boxes, with the
    config's top-level data_preprocessor (mean, std, BGR -> RGB) applied
    as in training (a trained checkpoint)."""
    config, video, _ = clip_setup
    cfg = Config.fromfile(config)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(
            dict(cfg.model, data_preprocessor=cfg.data_preprocessor)).eval()
        pipeline = Compose([
            TRANSFORMS.build(t) for t in cfg.test_dataloader.dataset.pipeline
        ])
    checkpoint = str(tmp_path / 'trained.pth')
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    tracker = FaceClipTracker(config, checkpoint, det_score_thr=0.)
    boxes = []
    for frame in list(read_video_frames(video))[:4]:
        faces = tracker.update(frame)
        found, _ = detect_faces(tracker.detector, frame, 0.)[0]
        boxes.append(found[0])  # one face, detected in each of the frames
    face, = faces
    data = pipeline(
        dict(
            video_path=video,
            total_frames=4,
            avg_fps=10.,
            face_track=np.array(boxes, np.float32)))
    expected, = model.test_step(pseudo_collate([data]))
    torch.testing.assert_close(face.pred_score, expected.pred_score)


def test_window_has_no_time_gap(clip_setup):
    """A sampled frame where the face is missed still enters the window
    (at the track's predicted box): a window is 4 consecutive sampled
    frames, as the training clips are, so the 4th frame is classified."""
    config, video, _ = clip_setup
    tracker = FaceClipTracker(config, det_score_thr=0., max_gap=1)
    frames = list(read_video_frames(video))[:4]
    frames[2] = np.full_like(frames[2], 128)  # no face in frame 2
    outputs = [tracker.update(frame) for frame in frames]
    assert [len(faces) for faces in outputs] == [0, 0, 0, 1]
    assert outputs[3][0].track_id == 0
    track, = tracker.tracks
    assert len(track.data['views']) == 4
    # a face gone for 2 sampled frames (> max_gap) ends its track
    tracker.update(frames[2])
    tracker.update(frames[2])
    assert tracker.tracks == []


def test_stride_classifies_every_nth_window(clip_setup):
    """stride=2: a face's window is classified on every 2nd sampled frame;
    in between the face keeps its last prediction at its new box."""
    config, video, _ = clip_setup
    frames = list(read_video_frames(video))[:7]
    every = FaceClipTracker(config, det_score_thr=0.)
    torch.manual_seed(0)
    strided = FaceClipTracker(config, det_score_thr=0., stride=2)
    strided.model.load_state_dict(every.model.state_dict())
    previous = None
    for t, frame in enumerate(frames):
        full, = every.update(frame) or [None]
        face, = strided.update(frame) or [None]
        if t < 3:
            assert full is None and face is None
            continue
        np.testing.assert_allclose(face.face_bbox, full.face_bbox)
        if t in (3, 5):
            torch.testing.assert_close(face.pred_score, full.pred_score)
        else:
            torch.testing.assert_close(face.pred_score, previous)
        previous = full.pred_score
    with pytest.raises(ValueError, match='stride'):
        FaceClipTracker(config, stride=0)


def test_video_demo_clip_mode(clip_setup, tmp_path):
    config, video, _ = clip_setup
    out = tmp_path / 'out' / 'demo.mp4'
    proc = subprocess.run([
        sys.executable,
        osp.join(ROOT, 'demo', 'video_demo.py'), video, config, '--out',
        str(out), '--det-thr', '0'
    ],
                          capture_output=True,
                          text=True,
                          env=dict(os.environ, PYTHONPATH=ROOT),
                          cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert 'Clip mode: the last 4 frames of each face at 10 fps' in \
        proc.stdout
    assert 'RANDOM weights' in proc.stderr
    assert '12 frames written' in proc.stdout
    capture = cv2.VideoCapture(str(out))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 12
    capture.release()
