"""The face-only FER2013 config's test pipeline is fer's preprocessing."""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS, TRANSFORMS

import glamor_mm  # noqa: F401

CONFIG = osp.join(
    osp.dirname(__file__), '..', '..', '..', 'configs', 'baselines',
    'mini-xception_fer2013_face.py')


def build(cfg):
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return TRANSFORMS.build(cfg)


def test_config_pipeline_equals_fer(real_photos, fer_preprocess, fer_boxes):
    cfg = Config.fromfile(CONFIG)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        pipeline = Compose(cfg.test_dataloader.dataset.pipeline)
        preprocessor = MODELS.build(cfg.data_preprocessor)
    path = real_photos['grace_hopper']['path']
    img = cv2.imread(path)
    for x, y, w, h in fer_boxes:
        packed = pipeline(dict(img_path=path, face_bbox=[x, y, x + w, y + h]))
        assert packed['inputs'].shape == (1, 64, 64)
        assert packed['inputs'].dtype == torch.uint8
        ours = preprocessor(dict(inputs=[packed['inputs']]))['inputs']
        theirs = fer_preprocess(img, (x, y, w, h))
        np.testing.assert_allclose(ours[0, 0].numpy(), theirs, atol=1e-6)
    # the border boxes crop padding: left out, the faces would differ
    no_pad = [
        t for t in cfg.test_dataloader.dataset.pipeline
        if t['type'] != 'PadBorder'
    ]
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        packed = Compose(no_pad)(
            dict(img_path=path, face_bbox=[5, 3, 126, 93]))
    ours = preprocessor(dict(inputs=[packed['inputs']]))['inputs']
    assert np.abs(ours[0, 0].numpy() -
                  fer_preprocess(img, fer_boxes[1])).max() > 0.1


def test_grayscale_rounds_as_opencv(real_photos):
    img = real_photos['astronaut']['img']
    gray = build(dict(type='Grayscale'))(dict(img=img.copy()))['img']
    np.testing.assert_array_equal(gray, cv2.cvtColor(img, cv2.COLOR_BGR2GRAY))
    # MMPretrain's RandomGrayscale truncates: one level off for many pixels
    weights = dict(channel_weights=(0.114, 0.587, 0.299))
    theirs = build(dict(type='RandomGrayscale', prob=1.0,
                        **weights))(dict(img=img.copy()))['img']
    assert (theirs != gray).mean() > 0.1
    assert build(dict(type='Grayscale'))(dict(img=gray))['img'] is gray
    with pytest.raises(ValueError, match='x.png has shape'):
        build(dict(type='Grayscale'))(
            dict(img=np.zeros((4, 4, 2), np.uint8), img_path='x.png'))


def test_pad_border_moves_the_box():
    img = np.arange(30, dtype=np.uint8).reshape(5, 6)  # last rows 18..29
    out = build(dict(type='PadBorder', size=2))(
        dict(img=img, face_bbox=[1, 1, 3, 4]))
    assert out['img'].shape == out['img_shape'] == (9, 10)
    np.testing.assert_array_equal(out['img'][2:7, 2:8], img)
    assert out['img'][0, 0] == 24  # round(23.5), as cv2 rounds
    np.testing.assert_array_equal(out['face_bbox'], [3, 3, 5, 6])
    fixed = build(dict(type='PadBorder', size=1, pad_val=7))(
        dict(img=img, face_bbox=None))
    assert fixed['img'][0, 0] == 7 and fixed['face_bbox'] is None
    with pytest.raises(ValueError, match="pad_val must be a number or"):
        build(dict(type='PadBorder', pad_val='mean'))


@pytest.mark.parametrize(
    'box, expected',
    [
        ((5, 3, 126, 93), (-5, -22, 136, 119)),  # w > h by 31: 15 above
        ((10, 0, 20, 31), (-10, -10, 41, 41)),  # h > w by 21: 10 left
        ((0, 0, 8, 8), (-10, -10, 18, 18)),
    ])
def test_expand_face_box_squares_like_fer(box, expected):
    out = build(dict(type='ExpandFaceBox'))(dict(face_bbox=list(box)))
    np.testing.assert_array_equal(out['face_bbox'], expected)
    x1, y1, x2, y2 = out['face_bbox']
    assert x2 - x1 == y2 - y1
