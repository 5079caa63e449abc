import numpy as np
from mmcv.transforms import RandomFlip
from mmpretrain.registry import TRANSFORMS

import glamor_mm  # noqa: F401


def test_applies_to_face_only_and_keeps_context_keys():
    face = np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3)
    ctx = np.ones((6, 6, 3), np.uint8)
    t = TRANSFORMS.build(
        dict(
            type='ApplyToFace',
            transforms=[
                dict(type='RandomFlip', prob=1.0, direction='horizontal')
            ]))
    out = t(dict(img=ctx.copy(), face_img=face, img_shape=(6, 6)))
    np.testing.assert_array_equal(out['face_img'], face[:, ::-1])
    np.testing.assert_array_equal(out['img'], ctx)
    assert 'flip' not in out and out['img_shape'] == (6, 6)


def test_accepts_built_transforms():
    face = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    t = TRANSFORMS.build(
        dict(
            type='ApplyToFace',
            transforms=[RandomFlip(prob=1.0, direction='vertical')]))
    out = t(dict(face_img=face))
    np.testing.assert_array_equal(out['face_img'], face[::-1])


def test_papers_rotation_is_within_20_degrees():
    """Rotate(magnitude_range=(0, 20), magnitude_std='inf') is uniform in
    [-20, 20] degrees: a horizontal bar stays within that slope."""
    face = np.zeros((97, 97, 3), np.uint8)
    face[47:50, 8:89] = 255
    t = TRANSFORMS.build(
        dict(
            type='ApplyToFace',
            transforms=[
                dict(
                    type='Rotate',
                    magnitude_range=(0, 20),
                    magnitude_std='inf',
                    prob=1.0,
                    pad_val=0,
                    interpolation='bilinear')
            ]))
    np.random.seed(0)
    angles = []
    for _ in range(30):
        out = t(dict(face_img=face.copy()))['face_img']
        assert out.shape == face.shape and out.dtype == np.uint8
        ys, xs = np.nonzero(out[..., 0] > 127)
        angles.append(np.degrees(np.arctan(np.polyfit(xs, ys, 1)[0])))
    angles = np.abs(angles)
    assert angles.max() <= 21 and angles.max() > 10
