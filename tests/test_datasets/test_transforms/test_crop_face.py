import mmcv
import numpy as np
import pytest
from mmpretrain.registry import TRANSFORMS

import glamor_mm  # noqa: F401


def _img(h=20, w=30):
    return np.arange(
        h * w * 3, dtype=np.uint32).reshape(h, w, 3).astype(np.uint8)


def test_crop_equals_resized_box_region():
    img = _img()
    t = TRANSFORMS.build(dict(type='CropFace', scale=(8, 6)))
    out = t(dict(img=img, face_bbox=[4, 2, 14, 12], img_path='a.png'))
    expected = mmcv.imresize(img[2:12, 4:14], (8, 6))
    assert out['face_img'].shape == (6, 8, 3)
    assert out['face_img'].dtype == np.uint8
    np.testing.assert_array_equal(out['face_img'], expected)
    np.testing.assert_array_equal(out['face_bbox'], [4, 2, 14, 12])
    assert out['face_bbox'].dtype == np.float32
    # the context view is untouched
    np.testing.assert_array_equal(out['img'], _img())


def test_crop_same_size_is_exact_copy():
    img = _img()
    t = TRANSFORMS.build(dict(type='CropFace', scale=(10, 10)))
    out = t(dict(img=img, face_bbox=np.array([4., 2., 14., 12.])))
    np.testing.assert_array_equal(out['face_img'], img[2:12, 4:14])


def test_box_partly_outside_is_clipped_and_fractions_rounded_out():
    img = _img()
    t = TRANSFORMS.build(dict(type='CropFace', scale=(5, 5)))
    out = t(dict(img=img, face_bbox=[-7.5, 15.2, 24.3, 40]))
    np.testing.assert_array_equal(out['face_bbox'], [0, 15, 25, 20])
    np.testing.assert_array_equal(out['face_img'],
                                  mmcv.imresize(img[15:20, 0:25], (5, 5)))


@pytest.mark.parametrize('bbox', [
    None, [5, 5, 5, 10], [5, 5, 10, 5], [12, 5, 3, 10], [30, 0, 40, 10],
    [-10, -10, 0, 0], [float('nan'), 0, 3, 3]
])
def test_missing_or_degenerate_box_zeros_policy(bbox):
    t = TRANSFORMS.build(dict(type='CropFace', scale=(7, 4)))
    out = t(dict(img=_img(), face_bbox=bbox, img_path='a.png'))
    assert out['face_img'].shape == (4, 7, 3)
    assert out['face_img'].dtype == np.uint8
    assert not out['face_img'].any()
    assert out['face_bbox'] is None


def test_absent_key_is_a_missing_face():
    out = TRANSFORMS.build(dict(type='CropFace'))(dict(img=_img()))
    assert out['face_img'].shape == (96, 96, 3) and not out['face_img'].any()


def test_error_policy_names_the_file():
    t = TRANSFORMS.build(dict(type='CropFace', missing_face='error'))
    with pytest.raises(ValueError, match=r'dir/img\.png has no face box'):
        t(dict(img=_img(), face_bbox=None, img_path='dir/img.png'))
    with pytest.raises(
            ValueError, match=r'dir/img\.png has face box .* no area'):
        t(dict(img=_img(), face_bbox=[40, 0, 50, 10], img_path='dir/img.png'))
    # a valid box passes
    out = t(dict(img=_img(), face_bbox=[0, 0, 3, 3], img_path='dir/img.png'))
    assert out['face_img'].shape == (96, 96, 3)


def test_bad_policy_rejected():
    with pytest.raises(ValueError, match='missing_face'):
        TRANSFORMS.build(dict(type='CropFace', missing_face='skip'))


def test_pillow_backend_resizes_like_pil():
    """backend='pillow': PIL's bilinear filter (which smooths when it
    shrinks), as torchvision's Resize on a PIL image."""
    from PIL import Image
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)
    box = [10, 5, 58, 53]  # 48x48 -> 12x12: shrinks 4x
    out = TRANSFORMS.build(
        dict(type='CropFace', scale=(12, 12), backend='pillow'))(
            dict(img=img, face_bbox=box))['face_img']
    pil = np.asarray(
        Image.fromarray(img).crop(box).resize((12, 12), Image.BILINEAR))
    np.testing.assert_array_equal(out, pil)
    cv2_out = TRANSFORMS.build(dict(type='CropFace', scale=(12, 12)))(
        dict(img=img, face_bbox=box))['face_img']
    assert np.abs(cv2_out.astype(int) - pil).max() > 10  # not cv2's


def test_pad_outside_keeps_the_whole_box_with_zeros():
    img = _img(6, 8)
    out = TRANSFORMS.build(dict(type='CropFace', scale=(5, 4),
                                pad_outside=True))(
        dict(img=img, face_bbox=[-2, 3, 3, 7]))
    expected = np.zeros((4, 5, 3), np.uint8)  # rows 3..6, columns -2..2
    expected[:3, 2:] = img[3:6, 0:3]
    np.testing.assert_array_equal(out['face_img'], expected)
    np.testing.assert_array_equal(out['face_bbox'], [0, 3, 3, 6])
