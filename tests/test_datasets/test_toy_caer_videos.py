import filecmp
import glob
import os.path as osp

import mmengine
import numpy as np
import pytest
from mmengine.config import Config
from mmpretrain.registry import DATASETS

import glamor_mm  # noqa: F401
from glamor_mm.datasets import CAER_CLASSES
from glamor_mm.datasets.toy.caer_videos import (
    DEFAULT_FRAME_SIZE, TOY_VIDEO_CUES, crop_safe_region, draw_toy_video,
    generate_toy_caer_videos, toy_video_best_accuracy)
from glamor_mm.datasets.transforms.load_video_frames import \
    read_frames_opencv

# BGR colours of the cues (toy_caers' drawing colours)
_MOUTH = ((0, 0, 210), (210, 40, 0))  # smile: red, frown: blue
_OBJECT = ((0, 190, 0), (0, 220, 240))  # squares: green, discs: yellow
SIZES = dict(train=2, test=1)
DATASET_CONFIGS = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs',
    '_base_', 'datasets')


def _mask(img, color, tol=40):
    return np.abs(img.astype(int) - color).max(-1) <= tol


def _vertical_shift(a, b, max_shift=9):
    """Shift s maximising the overlap of mask ``a`` moved by s with ``b``."""
    scores = [(np.roll(a, s, axis=0) & b).sum()
              for s in range(-max_shift, max_shift + 1)]
    return int(np.argmax(scores)) - max_shift


def oracle(frames, boxes):
    """Read the three cues off decoded frames and the face boxes.

    Returns:
        tuple: (face cue, context cue, motion cue or None for one frame).
    """
    x1, y1, x2, y2 = boxes[0]
    face = frames[0][y1:y2, x1:x2]
    face_cue = int(np.argmax([_mask(face, c).sum() for c in _MOUTH]))
    contexts = []
    for frame, (x1, y1, x2, y2) in zip(frames, boxes):
        context = frame.copy()
        context[y1:y2, x1:x2] = 0
        contexts.append(context)
    context_cue = int(
        np.argmax([_mask(contexts[0], c).sum() for c in _OBJECT]))
    if len(frames) < 2:
        return face_cue, context_cue, None
    masks = [_mask(c, _OBJECT[context_cue]) for c in contexts]
    shifts = [_vertical_shift(a, b) for a, b in zip(masks, masks[1:])]
    return face_cue, context_cue, int(np.median(shifts) > 0)


@pytest.fixture(scope='module')
def toy_videos(tmp_path_factory):
    root = tmp_path_factory.mktemp('toy_videos')
    counts = generate_toy_caer_videos(
        str(root / 'a'), SIZES, seed=3, num_frames=(5, 8))
    return root, counts


def test_same_seed_identical_bytes(toy_videos, tmp_path):
    root, counts = toy_videos
    assert counts == dict(train=14, test=7)
    generate_toy_caer_videos(
        str(tmp_path / 'b'), SIZES, seed=3, num_frames=(5, 8))
    generate_toy_caer_videos(
        str(tmp_path / 'c'), dict(test=1), seed=4, num_frames=(5, 8))
    files = sorted(
        osp.relpath(p, root / 'a')
        for p in glob.glob(str(root / 'a' / '**' / '*.*'), recursive=True))
    assert len(files) == 21 + 2
    match, mismatch, errors = filecmp.cmpfiles(
        str(root / 'a'), str(tmp_path / 'b'), files, shallow=False)
    assert not mismatch and not errors and len(match) == len(files)
    test_files = [f for f in files if f.startswith('test/')]
    _, mismatch, _ = filecmp.cmpfiles(
        str(root / 'a'), str(tmp_path / 'c'), test_files, shallow=False)
    assert len(mismatch) == len(test_files) == 7
    assert not osp.exists(root / 'a' / 'validation')


def test_best_accuracies_table():
    assert len(set(TOY_VIDEO_CUES)) == len(CAER_CLASSES)
    acc = toy_video_best_accuracy
    assert acc() == 1.0
    assert acc(('face', 'context')) == pytest.approx(4 / 7)
    assert acc(('context', 'motion')) == pytest.approx(4 / 7)
    assert acc(('face', )) == pytest.approx(2 / 7)
    assert acc(('context', )) == pytest.approx(2 / 7)
    assert acc(()) == pytest.approx(1 / 7)
    with pytest.raises(ValueError, match='Unknown cue'):
        acc(('audio', ))


def test_oracle_reads_the_label_from_clips_not_frames(toy_videos):
    """An oracle that reads the cues off the decoded videos classifies every
    clip right, and with one frame (no motion) only 4/7 of them: the best
    single-frame accuracy of the table."""
    root, _ = toy_videos
    ann = mmengine.load(str(root / 'a' / 'train_tracks.json'))
    clip_hits, frame_hits = [], []
    for item in ann['data_list']:
        frames = read_frames_opencv(
            str(root / 'a' / item['video_path']), range(item['num_frames']))
        boxes = item['face_track']
        assert len(frames) == len(boxes) == item['num_frames']
        cues = oracle(frames, boxes)
        clip_hits.append(TOY_VIDEO_CUES.index(cues) == item['gt_label'])
        # one frame: guess the first class with the visible cues
        face_cue, context_cue, _ = oracle(frames[:1], boxes[:1])
        guess = [c[:2] for c in TOY_VIDEO_CUES].index((face_cue, context_cue))
        frame_hits.append(guess == item['gt_label'])
    assert np.mean(clip_hits) == 1.0
    assert np.mean(frame_hits) == pytest.approx(
        toy_video_best_accuracy(('face', 'context')))


@pytest.mark.parametrize('config',
                         ['toy_caer_videos.py', 'toy_caer_videos_small.py'])
def test_every_crop_keeps_the_crop_safe_region(config):
    """The context view of the toy pipelines is resized to a fixed size and
    cropped: the crop-safe region, where the objects move, is inside the
    first and the last possible crop (hence inside every crop)."""
    cfg = Config.fromfile(osp.join(DATASET_CONFIGS, config))
    steps = {t['type']: t for t in cfg.train_pipeline[2]['transforms']}
    resized_w, resized_h = steps['Resize']['scale']
    crop = steps['RandomCrop']['crop_size']
    h, w = DEFAULT_FRAME_SIZE
    x1, y1, x2, y2 = crop_safe_region(DEFAULT_FRAME_SIZE)
    assert x1 * resized_w / w >= resized_w - crop
    assert x2 * resized_w / w <= crop
    assert y1 * resized_h / h >= resized_h - crop
    assert y2 * resized_h / h <= crop


def test_objects_always_in_the_crop_safe_region():
    """In every frame both objects are whole or cut only by the edges of
    the crop-safe region (wrapping around), never hidden: all their pixels
    are in the region and the frame shows at least two objects' worth."""
    r = round(0.075 * DEFAULT_FRAME_SIZE[0])
    x1, y1, x2, y2 = crop_safe_region(DEFAULT_FRAME_SIZE)
    spins = set()
    for i in range(28):
        label = i % 7
        frames, boxes = draw_toy_video(label, np.random.default_rng(i), 12)
        color = _OBJECT[TOY_VIDEO_CUES[label][1]]
        for frame, (fx1, fy1, fx2, fy2) in zip(frames, boxes):
            frame = frame.copy()
            frame[fy1:fy2, fx1:fx2] = 0
            mask = _mask(frame, color)
            inside = mask[y1:y2, x1:x2].sum()
            assert inside == mask.sum()
            # discs: 2 x pi r^2 minus anti-aliased rims; squares 2 x 4 r^2
            assert inside >= 2 * 2.9 * r * r
        # the face drifts on a circle, either way round (the sign of the
        # area its path sweeps)
        x, y = (boxes[:, :2] - boxes[:, :2].mean(0)).T
        spins.add(
            int(np.sign(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))))
    assert spins == {-1, 1}


def test_tracks_read_by_caer_dataset(toy_videos):
    root, _ = toy_videos
    ds = DATASETS.build(
        dict(
            type='CAERDataset',
            data_root=str(root / 'a'),
            ann_file='test_tracks.json',
            split='test'))
    assert len(ds) == 7
    info = ds.get_data_info(6)
    assert info['gt_label'] == 6
    assert info['video_path'].endswith('test/Surprise/0000.avi')
    assert 5 <= info['total_frames'] <= 8 and info['avg_fps'] == 10
    track = info['face_track']
    assert track.shape == (info['total_frames'], 4)
    widths = track[:, 2] - track[:, 0]
    assert ((widths >= 88) & (widths <= 100)).all()
    assert info['face_track_flags'] == 'd' * info['total_frames']


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match='Unknown split'):
        generate_toy_caer_videos(str(tmp_path), dict(val=3))
    with pytest.raises(ValueError, match='num_frames'):
        generate_toy_caer_videos(
            str(tmp_path), dict(test=1), num_frames=(5, 4))
    with pytest.raises(ValueError, match='too narrow'):
        generate_toy_caer_videos(
            str(tmp_path), dict(test=1), frame_size=(144, 192))
