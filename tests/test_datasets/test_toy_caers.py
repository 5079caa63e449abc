import filecmp
import os

import cv2
import numpy as np
import pytest
from mmpretrain.registry import DATASETS

import glamor_mm  # noqa: F401
from glamor_mm.datasets import CAER_CLASSES
from glamor_mm.datasets.toy_caers import (TOY_CUES, draw_toy_scene,
                                          generate_toy_caers,
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
