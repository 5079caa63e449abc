"""The face-guided toy videos: drawing, writing and the exact bounds."""
import filecmp
import glob
import os.path as osp

import mmengine
import numpy as np
import pytest
from mmpretrain.registry import DATASETS

import glamor_mm  # noqa: F401
from glamor_mm.datasets import CAER_CLASSES
from glamor_mm.datasets.toy.caer_videos import generate_toy_caer_videos
from glamor_mm.datasets.toy.caers import GUIDED_MARKS
from glamor_mm.datasets.toy.guided_videos import (GUIDED_VIDEO_COLORS,
                                                  GUIDED_VIDEO_CUES,
                                                  MARK_FRAMES, MARK_PERIOD,
                                                  draw_guided_video,
                                                  guided_video_best_accuracy)
from glamor_mm.datasets.transforms.load_video_frames import \
    read_frames_opencv

_MOUTH = ((0, 0, 210), (210, 40, 0))  # smile: red, frown: blue


def _mask(img, color, tol=40):
    return np.abs(img.astype(int) - color).max(-1) <= tol


def read_guided_clip(frames, box):
    """The oracle: the face cue, the named object (the hat's colour) and,
    per frame, the mark each object shows (None when it shows its plain
    colour), from the pixels."""
    x1, y1, x2, y2 = box
    face = frames[0][y1:y2, x1:x2]
    face_cue = int(np.argmax([_mask(face, c).sum() for c in _MOUTH]))
    hats = [_mask(face, c, 12).sum() for c in GUIDED_VIDEO_COLORS]
    target = int(np.argmax(hats))
    assert hats[target] > 20 and sorted(hats)[-2] == 0
    shown = []
    for frame in frames:
        context = frame.copy()
        context[y1:y2, x1:x2] = 0
        marks = []
        for color in GUIDED_VIDEO_COLORS:
            ys, xs = np.nonzero(_mask(context, color, 12))
            centre = context[(ys.min() + ys.max()) // 2,
                             (xs.min() + xs.max()) // 2]
            found = [i for i, c in enumerate(GUIDED_MARKS) if _mask(centre, c)]
            assert len(found) <= 1
            marks.append(found[0] if found else None)
        shown.append(marks)
    return face_cue, target, shown


def oracle_guess(views, face_cue, target, shown):
    """Bayes guess from the cues that ``views`` keep of the frames shown.

    With the named object unknown, a label whose mark ``m`` is shown by ``n``
    objects has a likelihood proportional to ``n``.
    """
    marks = [
        next((m for m in obj if m is not None), None) for obj in zip(*shown)
    ]
    candidates = [
        label for label, cues in enumerate(GUIDED_VIDEO_CUES)
        if 'face' not in views or cues[0] == face_cue
    ]
    if 'face' in views and 'context' in views and marks[target] is not None:
        return next(label for label in candidates
                    if GUIDED_VIDEO_CUES[label][1] == marks[target])
    if 'marks' in views:
        return max(
            candidates,
            key=lambda label: marks.count(GUIDED_VIDEO_CUES[label][1]))
    return candidates[0]


def test_best_accuracies_table():
    assert len(set(GUIDED_VIDEO_CUES)) == len(CAER_CLASSES)
    acc = guided_video_best_accuracy
    assert acc() == 1.0
    assert acc(('face', 'marks')) == pytest.approx(0.607143, abs=1e-6)
    # one frame shows the named object's mark half of the time
    assert acc(single_frame=True) == pytest.approx(0.5 + 0.5 * 2 / 7)
    assert acc(('context', )) == pytest.approx(0.321429, abs=1e-6)
    assert acc(('face', )) == pytest.approx(2 / 7)
    assert acc(()) == pytest.approx(1 / 7)
    with pytest.raises(ValueError, match='Unknown view'):
        acc(('hat', ))


def test_oracle_reaches_the_stated_bounds():
    """An oracle reading the cues from the pixels classifies every clip of
    8 frames right with face and context, and scores the stated bound
    (within 3 binomial standard deviations of 700 videos) with the marks
    of the clip unlinked from their objects, from a single frame or from the
    face alone."""
    observations, frame_observations, labels = [], [], []
    for label in range(len(CAER_CLASSES)):
        for i in range(100):
            rng = np.random.default_rng([7, label, i])
            frames, boxes = draw_guided_video(label, rng, MARK_PERIOD)
            assert frames[0].shape == (80, 128, 3)
            assert (boxes == boxes[0]).all()
            face_cue, target, shown = read_guided_clip(frames, boxes[0])
            # every object flashes in MARK_FRAMES consecutive frames (cyclic)
            for obj in zip(*shown):
                assert sum(m is not None for m in obj) == MARK_FRAMES
            assert face_cue == GUIDED_VIDEO_CUES[label][0]
            observations.append((face_cue, target, shown))
            frame = int(rng.integers(MARK_PERIOD))
            frame_observations.append(
                (face_cue, target, shown[frame:frame + 1]))
            labels.append(label)
    checks = ((('face', 'context'), observations,
               False), (('face', 'marks'), observations, False),
              (('face', 'context'), frame_observations,
               True), (('face', ), observations, False))
    for views, obs, single_frame in checks:
        stated = guided_video_best_accuracy(views, single_frame)
        acc = np.mean([
            oracle_guess(views, *o) == label for o, label in zip(obs, labels)
        ])
        if stated == 1.0:
            assert acc == 1.0
        else:
            tol = 3 * np.sqrt(stated * (1 - stated) / len(labels))
            assert abs(acc - stated) < tol, (views, acc, stated)


def test_written_videos(tmp_path):
    """Same seed, same bytes; the decoded videos keep the cues; the tracks
    are read by CAERDataset."""
    sizes = dict(test=1)
    kwargs = dict(seed=2, num_frames=(8, 10), mode='guided')
    for name in 'ab':
        assert generate_toy_caer_videos(str(tmp_path / name), sizes,
                                        **kwargs) == dict(test=7)
    files = sorted(
        osp.relpath(p, tmp_path / 'a')
        for p in glob.glob(str(tmp_path / 'a' / '**' / '*.*'), recursive=True))
    assert len(files) == 8
    _, mismatch, errors = filecmp.cmpfiles(
        str(tmp_path / 'a'), str(tmp_path / 'b'), files, shallow=False)
    assert not mismatch and not errors
    ann = mmengine.load(str(tmp_path / 'a' / 'test_tracks.json'))
    assert ann['metainfo']['face_tracks']['mode'] == 'guided'
    for item in ann['data_list']:
        frames = read_frames_opencv(
            str(tmp_path / 'a' / item['video_path']), range(MARK_PERIOD))
        assert frames[0].shape == (80, 128, 3)
        guess = oracle_guess(('face', 'context'),
                             *read_guided_clip(frames, item['face_track'][0]))
        assert guess == item['gt_label']
    ds = DATASETS.build(
        dict(
            type='CAERDataset',
            data_root=str(tmp_path / 'a'),
            ann_file='test_tracks.json',
            split='test'))
    assert len(ds) == 7 and ds.get_data_info(3)['gt_label'] == 3


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match='Unknown mode'):
        generate_toy_caer_videos(str(tmp_path), dict(test=1), mode='flash')
    with pytest.raises(ValueError, match='multiples of 16'):
        draw_guided_video(0, np.random.default_rng(0), 8, (80, 120))
    with pytest.raises(ValueError, match='multiples of 16'):
        generate_toy_caer_videos(
            str(tmp_path), dict(test=1), frame_size=(64, 128), mode='guided')
