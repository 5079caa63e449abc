import numpy as np
import pytest
from mmpretrain.registry import TRANSFORMS

import glamor_mm  # noqa: F401


def _img():
    return np.full((10, 12, 3), 7, dtype=np.uint8)


def test_mask_zeros_exactly_the_box():
    img = _img()
    out = TRANSFORMS.build(dict(type='MaskFace'))(
        dict(img=img, face_bbox=[2, 3, 5, 7]))
    expected = _img()
    expected[3:7, 2:5] = 0
    np.testing.assert_array_equal(out['img'], expected)
    # the input array is not modified in place
    np.testing.assert_array_equal(img, _img())


def test_mask_clips_and_rounds_outwards():
    out = TRANSFORMS.build(dict(type='MaskFace'))(
        dict(img=_img(), face_bbox=[-3, 8.5, 2.2, 30]))
    expected = _img()
    expected[8:10, 0:3] = 0
    np.testing.assert_array_equal(out['img'], expected)


def test_mask_uses_the_clipped_box_of_crop_face():
    results = dict(img=_img(), face_bbox=[10.4, -2, 40, 4])
    results = TRANSFORMS.build(dict(type='CropFace'))(results)
    out = TRANSFORMS.build(dict(type='MaskFace'))(results)
    expected = _img()
    expected[0:4, 10:12] = 0
    np.testing.assert_array_equal(out['img'], expected)


@pytest.mark.parametrize('bbox', [None, [3, 3, 3, 8], [20, 0, 30, 5]])
def test_missing_or_empty_box_leaves_image(bbox):
    out = TRANSFORMS.build(dict(type='MaskFace'))(
        dict(img=_img(), face_bbox=bbox))
    np.testing.assert_array_equal(out['img'], _img())


def test_disabled_keeps_face_visible():
    out = TRANSFORMS.build(dict(type='MaskFace', enabled=False))(
        dict(img=_img(), face_bbox=[2, 3, 5, 7]))
    np.testing.assert_array_equal(out['img'], _img())


def test_several_boxes_from_other_key():
    out = TRANSFORMS.build(dict(type='MaskFace', bbox_key='all_faces'))(
        dict(
            img=_img(),
            face_bbox=[0, 0, 12, 10],
            all_faces=np.array([[0, 0, 2, 2], [10, 8, 12, 10]])))
    expected = _img()
    expected[0:2, 0:2] = 0
    expected[8:10, 10:12] = 0
    np.testing.assert_array_equal(out['img'], expected)


def test_misspelt_bbox_key_is_an_error():
    mask = TRANSFORMS.build(dict(type='MaskFace', bbox_key='face_box'))
    with pytest.raises(KeyError, match="no key 'face_box'.*face_bbox"):
        mask(dict(img=_img(), face_bbox=[2, 3, 5, 7]))
