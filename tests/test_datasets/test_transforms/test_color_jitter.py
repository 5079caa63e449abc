"""CV2ColorJitter gives MMPretrain's ColorJitter(backend='cv2') pixels."""
import mmcv
import numpy as np
import pytest
from mmcv.transforms import TransformBroadcaster
from mmpretrain.registry import TRANSFORMS

from glamor_mm.datasets.transforms import CV2ColorJitter, adjust_contrast

JITTER = dict(brightness=0.2, contrast=0.2, saturation=0.2)


def images(rng):
    """Random, flat, dark, bright and small uint8 pictures."""
    yield rng.integers(0, 256, (112, 112, 3), dtype=np.uint8)
    yield np.full((16, 24, 3), 255, np.uint8)
    yield np.zeros((9, 7, 3), np.uint8)
    yield rng.integers(0, 40, (30, 50, 3), dtype=np.uint8)
    for _ in range(20):
        h, w = rng.integers(1, 120, 2)
        low = rng.integers(0, 200)
        yield rng.integers(low, 256, (h, w, 3), dtype=np.uint8)


@pytest.mark.parametrize('factor', [0., 0.5, 0.8, 0.93, 1., 1.2, 3.])
def test_adjust_contrast_equals_mmcv(factor):
    rng = np.random.default_rng(0)
    for img in images(rng):
        expected = mmcv.adjust_contrast(img, factor, backend='cv2')
        out = adjust_contrast(img, factor)
        assert out.dtype == np.uint8
        np.testing.assert_array_equal(out, expected)


def test_adjust_contrast_of_float_images_is_mmcv():
    img = np.random.default_rng(1).uniform(-20, 300, (8, 8, 3))
    img = img.astype(np.float32)
    np.testing.assert_array_equal(
        adjust_contrast(img, 1.2),
        mmcv.adjust_contrast(img, 1.2, backend='cv2'))


def test_same_pixels_and_random_draws_as_colorjitter():
    ours = TRANSFORMS.build(dict(type='CV2ColorJitter', **JITTER))
    theirs = TRANSFORMS.build(
        dict(type='ColorJitter', backend='cv2', **JITTER))
    assert isinstance(ours, CV2ColorJitter)
    rng = np.random.default_rng(2)
    for i, img in enumerate(images(rng)):
        outs = []
        for transform in (ours, theirs):
            np.random.seed(i)
            outs.append(transform(dict(img=img.copy()))['img'])
            outs.append(np.random.random())  # the same draws were made
        np.testing.assert_array_equal(outs[0], outs[2])
        assert outs[1] == outs[3]


def test_one_draw_per_clip_in_a_broadcaster():
    frame = next(images(np.random.default_rng(3)))
    outs = []
    for cfg in (dict(type='CV2ColorJitter'),
                dict(type='ColorJitter', backend='cv2')):
        broadcaster = TransformBroadcaster(
            [TRANSFORMS.build(dict(**cfg, **JITTER))],
            mapping=dict(img=['img0', 'img1']),
            auto_remap=True,
            share_random_params=True)
        np.random.seed(4)
        out = broadcaster(dict(img0=frame.copy(), img1=frame.copy()))
        outs.append((out['img0'], out['img1']))
    np.testing.assert_array_equal(outs[0][0], outs[0][1])  # same jitter
    np.testing.assert_array_equal(outs[0][0], outs[1][0])
    assert not np.array_equal(outs[0][0], frame)
