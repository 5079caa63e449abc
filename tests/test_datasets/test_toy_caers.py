import filecmp
import os

import cv2
import numpy as np
import pytest
from mmpretrain.registry import DATASETS

import glamor_mm  # noqa: F401
from glamor_mm.datasets import CAER_CLASSES
from glamor_mm.datasets.toy.caers import (GUIDED_COLORS, GUIDED_MARKS,
                                          TOY_CUES, draw_guided_scene,
                                          draw_toy_scene, generate_toy_caers,
                                          guided_best_accuracy,
                                          guided_object_masks,
                                          toy_best_accuracy)

_MOUTH = {0: (140, 0, 140), 1: (20, 20, 20), 2: (0, 0, 210), 3: (210, 40, 0)}
_CONTEXT = {0: (0, 0, 230), 1: (0, 190, 0), 2: (0, 220, 240), 3: (230, 60, 0)}


def _count(img, color, tol=12):
    return int((np.abs(img.astype(int) - color).max(-1) <= tol).sum())


def test_same_seed_identical_bytes(tmp_path):
    sizes = dict(train=2, test=1)
    assert generate_toy_caers(
        str(tmp_path / 'a'), sizes, seed=3) == dict(
            train=14, test=7)
    generate_toy_caers(str(tmp_path / 'b'), sizes, seed=3)
    generate_toy_caers(str(tmp_path / 'c'), sizes, seed=4)
    cmp = filecmp.dircmp(str(tmp_path / 'a'), str(tmp_path / 'b'))
    files = ['train.txt', 'test.txt'] + [
        f'{s}/{c}/{i:04d}.png' for s, n in sizes.items() for c in CAER_CLASSES
        for i in range(n)
    ]
    match, mismatch, errors = filecmp.cmpfiles(
        str(tmp_path / 'a'), str(tmp_path / 'b'), files, shallow=False)
    assert not mismatch and not errors and len(match) == len(files)
    assert not cmp.left_only and not cmp.right_only
    _, mismatch, _ = filecmp.cmpfiles(
        str(tmp_path / 'a'), str(tmp_path / 'c'), files[2:], shallow=False)
    assert len(mismatch) == len(files) - 2
    assert not os.path.exists(tmp_path / 'a' / 'val')


def test_labels_follow_cue_rules():
    """The face cue colour is drawn inside the face box only, the context cue
    colour outside it only, and they are the ones of the label's cues."""
    for label, (face_cue, context_cue) in enumerate(TOY_CUES):
        for i in range(3):
            img, (x1, y1, x2,
                  y2) = draw_toy_scene(label,
                                       np.random.default_rng([7, label, i]))
            assert img.shape == (144, 192, 3) and img.dtype == np.uint8
            face = img[y1:y2, x1:x2]
            context = img.copy()
            context[y1:y2, x1:x2] = 0
            assert _count(face, _MOUTH[face_cue]) > 10
            for cue, color in _MOUTH.items():
                if cue != face_cue and cue != 1:  # black also in eyes
                    assert _count(face, color) == 0, (label, cue)
            assert _count(context, _CONTEXT[context_cue]) > 3 * 40
            for cue, color in _CONTEXT.items():
                if cue != context_cue:
                    assert _count(context, color) == 0
                    assert _count(face, color) == 0


def test_best_accuracies():
    assert toy_best_accuracy() == 1.0
    assert toy_best_accuracy(('face', )) == pytest.approx(4 / 7)
    assert toy_best_accuracy(('context', )) == pytest.approx(4 / 7)
    assert toy_best_accuracy(()) == pytest.approx(1 / 7)
    # no two classes share both cues
    assert len(set(TOY_CUES)) == len(CAER_CLASSES)


def test_readable_by_caers_dataset(tmp_path):
    generate_toy_caers(str(tmp_path), dict(val=2), seed=0)
    ds = DATASETS.build(
        dict(
            type='CAERSDataset',
            data_root=str(tmp_path),
            ann_file='val.txt',
            split='val'))
    assert len(ds) == 14
    info = ds.get_data_info(13)
    assert info['gt_label'] == 6
    x1, y1, x2, y2 = info['face_bbox']
    assert 0 <= x1 < x2 <= 192 and 0 <= y1 < y2 <= 144
    assert cv2.imread(info['img_path']).shape == (144, 192, 3)


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match='Unknown split'):
        generate_toy_caers(str(tmp_path), dict(training=3))
    with pytest.raises(ValueError, match='img_size'):
        draw_toy_scene(0, np.random.default_rng(0), (64, 64))


def test_guided_same_seed_identical_bytes(tmp_path):
    sizes = dict(val=2)
    for name, seed in (('a', 5), ('b', 5), ('c', 6)):
        assert generate_toy_caers(
            str(tmp_path / name), sizes, seed=seed,
            mode='guided') == dict(val=14)
    files = ['val.txt'] + [
        f'val/{c}/{i:04d}.png' for c in CAER_CLASSES for i in range(2)
    ]
    match, mismatch, errors = filecmp.cmpfiles(
        str(tmp_path / 'a'), str(tmp_path / 'b'), files, shallow=False)
    assert len(match) == len(files) and not mismatch and not errors
    _, mismatch, _ = filecmp.cmpfiles(
        str(tmp_path / 'a'), str(tmp_path / 'c'), files[1:], shallow=False)
    assert len(mismatch) == len(files) - 1
    # guided scenes differ from the default mode's and have their own size
    generate_toy_caers(str(tmp_path / 'd'), sizes, seed=5)
    _, mismatch, _ = filecmp.cmpfiles(
        str(tmp_path / 'a'), str(tmp_path / 'd'), files[1:], shallow=False)
    assert len(mismatch) == len(files) - 1
    assert cv2.imread(str(tmp_path / 'a' / files[1])).shape == (80, 112, 3)


def _mask(img, color, tol=12):
    return np.abs(img.astype(int) - color).max(-1) <= tol


def _read_mark(img, mask):
    """The index in GUIDED_MARKS of the colour at the centre of an object
    mask."""
    ys, xs = np.nonzero(mask)
    centre = img[(ys.min() + ys.max()) // 2, (xs.min() + xs.max()) // 2]
    marks = [i for i, c in enumerate(GUIDED_MARKS) if _mask(centre, c)]
    assert len(marks) == 1, centre
    return marks[0]


def _read_guided_scene(img, box):
    """The oracle: the face cue, the hat colour and each object's mark,
    read from the pixels."""
    x1, y1, x2, y2 = box
    face = img[y1:y2, x1:x2]
    context = img.copy()
    context[y1:y2, x1:x2] = 0
    mouths = {cue: _mask(face, _MOUTH[cue]).sum() for cue in (0, 2, 3)}
    face_cue = max(mouths, key=mouths.get) if max(mouths.values()) else 1
    hats = [_mask(face, c).sum() for c in GUIDED_COLORS]
    target = int(np.argmax(hats))
    assert hats[target] > 20 and sorted(hats)[-2] == 0
    marks = tuple(
        _read_mark(context, _mask(context, c)) for c in GUIDED_COLORS)
    return face_cue, target, marks


def _oracle_guess(views, face_cue, target, marks):
    """Bayes guess of the oracle from what ``views`` show."""
    candidates = [
        label for label, cues in enumerate(TOY_CUES)
        if 'face' not in views or cues[0] == face_cue
    ]
    if 'face' in views and 'context' in views:
        votes = {
            label: TOY_CUES[label][1] == marks[target]
            for label in candidates
        }
    elif 'context' in views or 'marks' in views:
        # the target is any object: count the objects of each label's mark
        votes = {
            label: marks.count(TOY_CUES[label][1])
            for label in candidates
        }
    else:
        votes = {label: 0 for label in candidates}
    return max(candidates, key=lambda label: votes[label])


def test_guided_oracle_reaches_stated_best_accuracies():
    """An oracle reading the cues from the pixels is always right with face
    and context, and scores the stated bound (within 3 binomial standard
    deviations of 700 scenes) with less."""
    num = 100
    observations, labels = [], []
    for label in range(len(CAER_CLASSES)):
        for i in range(num):
            img, box = draw_guided_scene(label,
                                         np.random.default_rng([9, label, i]))
            assert img.shape == (80, 112, 3)
            observations.append(_read_guided_scene(img, box))
            labels.append(label)
    for views, stated in ((('face', 'context'), 1.0), (('face', ), 4 / 7),
                          (('context', ), 0.30357), (('face', 'marks'),
                                                     0.80580), ((), 1 / 7)):
        assert guided_best_accuracy(views) == pytest.approx(stated, abs=1e-5)
        acc = np.mean([
            _oracle_guess(views, *obs) == label
            for obs, label in zip(observations, labels)
        ])
        if stated == 1.0:
            assert acc == 1.0
        else:
            tol = 3 * np.sqrt(stated * (1 - stated) / len(labels))
            assert abs(acc - stated) < tol, (views, acc, stated)


def test_guided_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match='Unknown mode'):
        generate_toy_caers(str(tmp_path), dict(val=1), mode='faces')
    with pytest.raises(ValueError, match='img_size'):
        draw_guided_scene(0, np.random.default_rng(0), (64, 112))
    with pytest.raises(ValueError, match='Unknown view'):
        guided_best_accuracy(('hat', ))


def test_guided_object_masks_find_the_named_object():
    """The masks read back by guided_object_masks agree with the oracle:
    the same named object, whose mark is the label's context cue."""
    for label in range(len(CAER_CLASSES)):
        img, box = draw_guided_scene(label, np.random.default_rng([4, label]))
        masks, target = guided_object_masks(img, box)
        _, oracle_target, marks = _read_guided_scene(img, box)
        assert target == oracle_target
        assert masks.shape == (len(GUIDED_COLORS), 80, 112)
        assert [_read_mark(img, m) for m in masks] == list(marks)
        assert marks[target] == TOY_CUES[label][1]
        # a mask is the whole square: its colour and its mark
        side = 2 * round(0.085 * 80) + 1
        assert (masks.sum(axis=(1, 2)) == side**2).all()
        x1, y1, x2, y2 = box
        assert not masks[:, y1:y2, x1:x2].any()
        assert masks.sum(axis=0).max() == 1  # the objects do not overlap
    plain, box = draw_toy_scene(0, np.random.default_rng(0))
    assert guided_object_masks(plain, box)[1] is None
