import copy

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope
from mmpretrain.registry import TRANSFORMS

import glamor_mm  # noqa: F401
from glamor_mm.datasets.toy.caer_videos import write_video
from glamor_mm.datasets.transforms.load_video_frames import READERS

CAER_CONFIG = 'configs/_base_/datasets/caer.py'


def _sample(total, fps, test_mode=True, track=None, **kwargs):
    t = TRANSFORMS.build(
        dict(type='SampleClipFrames', test_mode=test_mode, **kwargs))
    return t(dict(total_frames=total, avg_fps=fps, face_track=track))


def test_sliding_clips_by_hand():
    # 40 frames at 10 fps: 16-frame clips every 8 frames start at 0..24
    out = _sample(40, 10.)
    assert out['clip_starts'] == [0, 8, 16, 24] and out['num_clips'] == 4
    assert out['frame_interval'] == 1.0 and out['clip_len'] == 16
    expected = np.concatenate([np.arange(s, s + 16) for s in (0, 8, 16, 24)])
    np.testing.assert_array_equal(out['frame_inds'], expected)
    # 41 frames: still 4 clips (the last frame is after the last clip)
    assert _sample(41, 10.)['num_clips'] == 4
    # 90 frames at 30 fps: every 3rd frame -> 30 sampled frames -> starts
    # 0 and 8 (16 + 16 > 30), i.e. source frames 0 and 24
    out = _sample(90, 30.)
    assert out['clip_starts'] == [0, 24] and out['frame_interval'] == 3.0
    np.testing.assert_array_equal(
        out['frame_inds'],
        np.concatenate([np.arange(0, 48, 3),
                        np.arange(24, 72, 3)]))
    # 25 fps: every 2.5th frame, rounded down
    out = _sample(50, 25.)
    assert out['clip_starts'] == [0]
    np.testing.assert_array_equal(out['frame_inds'][:6], [0, 2, 5, 7, 10, 12])
    # slower than 10 fps: every frame
    assert _sample(20, 5.)['frame_interval'] == 1.0


def test_stream_test_picks_the_sampled_frames():
    """is_sampled (a stream, frame by frame: the video demo's clip mode)
    holds for exactly the frames of the clips; a second copy of the rule
    (floor(ceil(i / step) * step) == i) missed frames at 14, 23, 28 fps."""
    sampler = TRANSFORMS.build(
        dict(type='SampleClipFrames', clip_len=1, stride=1, test_mode=True))
    for fps in np.arange(5, 60.05, 0.1).round(1).tolist() + [23.976, 29.97]:
        frame_inds = sampler(dict(total_frames=300, avg_fps=fps))['frame_inds']
        picked = [i for i in range(300) if sampler.is_sampled(i, fps)]
        assert picked == frame_inds.tolist(), fps


def test_short_video_repeats_its_last_frame():
    for test_mode in (True, False):
        out = _sample(5, 10., test_mode=test_mode)
        assert out['num_clips'] == 1 and out['clip_starts'] == [0]
        np.testing.assert_array_equal(out['frame_inds'],
                                      [0, 1, 2, 3] + [4] * 12)


def test_random_training_clip():
    np.random.seed(0)
    starts = {
        _sample(30, 10., test_mode=False)['clip_starts'][0]
        for _ in range(200)
    }
    assert starts == set(range(15))  # 0 .. 30 - 16
    out = _sample(30, 10., test_mode=False, clip_len=4)
    s = out['clip_starts'][0]
    np.testing.assert_array_equal(out['frame_inds'], np.arange(s, s + 4))


def test_face_boxes_follow_the_frames():
    track = np.arange(40, dtype=np.float32)[:, None] + np.zeros((40, 4))
    track[9] = np.nan
    out = _sample(40, 10., track=track, clip_len=4, stride=8)
    assert out['clip_starts'] == [0, 8, 16, 24, 32]
    assert out['face_bboxes'][0].tolist() == [0, 0, 0, 0]
    assert out['face_bboxes'][5] is None  # frame 9 has no box
    assert out['face_bboxes'][4].tolist() == [8] * 4
    assert all(b is None for b in _sample(40, 10.)['face_bboxes'])


def test_bad_arguments():
    with pytest.raises(ValueError, match='clip_len'):
        TRANSFORMS.build(dict(type='SampleClipFrames', clip_len=0))
    with pytest.raises(ValueError, match='v.avi: cannot sample'):
        TRANSFORMS.build(dict(type='SampleClipFrames'))(
            dict(total_frames=0, avg_fps=10, video_path='v.avi'))
    with pytest.raises(ValueError, match='backend'):
        TRANSFORMS.build(dict(type='LoadVideoFrames', backend='pyav'))


@pytest.fixture(scope='module')
def video(tmp_path_factory):
    """A 12-frame 48x64 video whose frame t has value 10 * t in channel 0
    and a gradient in channel 1."""
    path = str(tmp_path_factory.mktemp('video') / 'v.avi')
    frames = []
    for t in range(12):
        frame = np.zeros((48, 64, 3), np.uint8)
        frame[..., 0] = 10 * t
        frame[..., 1] = np.arange(64, dtype=np.uint8)[None] * 3
        frames.append(frame)
    write_video(path, frames, 10)
    return path, frames


@pytest.mark.parametrize('backend', sorted(READERS))
def test_load_video_frames(video, backend):
    path, frames = video
    load = TRANSFORMS.build(dict(type='LoadVideoFrames', backend=backend))
    out = load(dict(video_path=path, frame_inds=np.array([7, 2, 2, 11])))
    assert len(out['imgs']) == 4 and out['img_shape'] == (48, 64)
    for img, t in zip(out['imgs'], [7, 2, 2, 11]):
        assert img.shape == (48, 64, 3) and img.dtype == np.uint8
        # BGR order kept: channel 0 carries the frame number
        assert abs(float(img[..., 0].mean()) - 10 * t) < 3
        assert abs(float(img[..., 2].mean())) < 3
    with pytest.raises(IOError, match=r'v.avi: .*frame 12 is needed'):
        load(dict(video_path=path, frame_inds=np.array([0, 12])))
    with pytest.raises(IOError, match='nothing.avi'):
        load(dict(video_path=path[:-5] + 'nothing.avi', frame_inds=[0]))


def _pipeline(name, **sample_cfg):
    cfg = Config.fromfile(CAER_CONFIG)
    init_default_scope('mmpretrain')
    pipeline = copy.deepcopy(cfg[name])
    pipeline[0].update(sample_cfg)
    return pipeline


@pytest.fixture(scope='module')
def still_video(tmp_path_factory):
    """20 identical 144x192 frames with a textured face box."""
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (144, 192, 3), dtype=np.uint8)
    path = str(tmp_path_factory.mktemp('still') / 'still.avi')
    write_video(path, [frame] * 20, 10)
    track = np.tile(np.float32([[40, 30, 100, 100]]), (20, 1))
    return dict(
        video_path=path,
        gt_label=2,
        total_frames=20,
        avg_fps=10.,
        face_track=track)


@pytest.mark.parametrize('share', [True, False])
def test_same_augmentation_for_every_frame(still_video, share):
    """With identical frames, every frame of a training clip comes out
    identical: crop, flips and colour change are drawn once per clip.
    Drawing them per frame (share_random_params=False) does not."""
    pipeline = _pipeline('train_pipeline')
    pipeline[2]['share_random_params'] = share
    pipeline = Compose(pipeline)
    np.random.seed(1)
    differs = []
    for _ in range(3):
        out = pipeline(copy.deepcopy(still_video))
        face, context = out['inputs']['face'], out['inputs']['context']
        assert face.shape == (1, 3, 16, 96, 96)
        assert context.shape == (1, 3, 16, 112, 112)
        differs.append(
            any((view[:, :, t] != view[:, :, 0]).any() for t in range(16)
                for view in (face, context)))
    assert not any(differs) if share else all(differs)


def test_test_pipeline_packs_clips(still_video):
    out = Compose(_pipeline('test_pipeline'))(copy.deepcopy(still_video))
    face, context = out['inputs']['face'], out['inputs']['context']
    # 20 frames: clips at 0 only (8 + 16 > 20)
    assert face.shape == (1, 3, 16, 96, 96) and face.dtype == torch.uint8
    assert context.shape == (1, 3, 16, 112, 112)
    sample = out['data_samples']
    assert sample.gt_label.tolist() == [2]
    assert sample.num_clips == 1 and sample.clip_starts == [0]
    assert sample.video_path == still_video['video_path']
    # the face is zeroed in the context: the centre crop of the resized
    # frame holds the box x 40..100 -> 35.6..89.1 - 29.5 (crop offset)
    assert (context[0, :, :, 20:60, 10:55] == 0).all()
    out = Compose(_pipeline('test_pipeline', clip_len=4, stride=2))(
        copy.deepcopy(still_video))
    assert out['inputs']['face'].shape == (9, 3, 4, 96, 96)
    assert out['data_samples'].clip_starts == list(range(0, 17, 2))
