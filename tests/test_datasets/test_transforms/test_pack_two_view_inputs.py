import numpy as np
import pytest
import torch
from mmpretrain.registry import TRANSFORMS
from mmpretrain.structures import DataSample

import glamor_mm  # noqa: F401


def test_pack_two_views():
    face = np.random.randint(0, 255, (96, 96, 3), dtype=np.uint8)
    ctx = np.random.randint(0, 255, (112, 112, 3), dtype=np.uint8)
    out = TRANSFORMS.build(dict(type='PackTwoViewInputs'))(
        dict(
            img=ctx,
            face_img=face,
            gt_label=3,
            img_path='x.png',
            ori_shape=(144, 192),
            face_bbox=np.array([1, 2, 3, 4], np.float32),
            other=1))
    assert set(out) == {'inputs', 'data_samples'}
    assert set(out['inputs']) == {'face', 'context'}
    f, c = out['inputs']['face'], out['inputs']['context']
    assert f.dtype == c.dtype == torch.uint8
    assert f.shape == (3, 96, 96) and c.shape == (3, 112, 112)
    torch.testing.assert_close(f, torch.from_numpy(face).permute(2, 0, 1))
    torch.testing.assert_close(c, torch.from_numpy(ctx).permute(2, 0, 1))
    ds = out['data_samples']
    assert isinstance(ds, DataSample)
    assert ds.gt_label.tolist() == [3]
    assert ds.img_path == 'x.png' and ds.ori_shape == (144, 192)
    np.testing.assert_array_equal(ds.face_bbox, [1, 2, 3, 4])


def test_missing_face_view_is_an_error():
    with pytest.raises(KeyError, match='face_img'):
        TRANSFORMS.build(dict(type='PackTwoViewInputs'))(
            dict(img=np.zeros((4, 4, 3), np.uint8), img_path='x.png'))
