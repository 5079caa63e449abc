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


def test_jpeg_round_trip_of_the_masked_picture():
    """jpeg_quality: the masked picture as OpenCV encodes and decodes it;
    float pictures give the same values as float."""
    import cv2
    rng = np.random.default_rng(0)
    img = cv2.GaussianBlur(
        rng.integers(0, 256, (40, 48, 3), dtype=np.uint8), (5, 5), 0)
    masked = img.copy()
    masked[10:30, 8:20] = 0
    expected = cv2.imdecode(
        cv2.imencode('.jpg', masked, [cv2.IMWRITE_JPEG_QUALITY, 95])[1],
        cv2.IMREAD_COLOR)
    mask = TRANSFORMS.build(dict(type='MaskFace', jpeg_quality=95))
    out = mask(dict(img=img, face_bbox=[8, 10, 20, 30]))['img']
    np.testing.assert_array_equal(out, expected)
    assert 0 < np.abs(out.astype(int) - masked).max()  # JPEG changed it
    out_float = mask(dict(img=img.astype(np.float32),
                          face_bbox=[8, 10, 20, 30]))['img']
    assert out_float.dtype == np.float32
    np.testing.assert_array_equal(out_float, expected)
    # no box: the round trip still happens, as in the authors' pipeline
    no_box = mask(dict(img=img, face_bbox=None))['img']
    assert np.abs(no_box.astype(int) - img).max() > 0
    with pytest.raises(ValueError, match='jpeg_quality'):
        TRANSFORMS.build(dict(type='MaskFace', jpeg_quality=0))


def test_misspelt_bbox_key_is_an_error():
    mask = TRANSFORMS.build(dict(type='MaskFace', bbox_key='face_box'))
    with pytest.raises(KeyError, match="no key 'face_box'.*face_bbox"):
        mask(dict(img=_img(), face_bbox=[2, 3, 5, 7]))


def test_include_end_also_zeros_the_last_row_and_column():
    out = TRANSFORMS.build(dict(type='MaskFace', include_end=True))(
        dict(img=_img(), face_bbox=[2, 3, 5, 7]))
    expected = _img()
    expected[3:8, 2:6] = 0  # as PIL's ImageDraw.rectangle((2, 3, 5, 7))
    np.testing.assert_array_equal(out['img'], expected)
