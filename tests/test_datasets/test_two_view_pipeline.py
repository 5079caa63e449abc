"""The full two-view pipelines on real files, including bad ones."""
import json
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import default_collate, pseudo_collate
from mmpretrain.registry import DATASETS, MODELS, TRANSFORMS

import glamor_mm  # noqa: F401
from glamor_mm.datasets.toy.caers import generate_toy_caers
from .utils import write_text

# The pipelines users run (configs/_base_/datasets/caers.py, used by toy).
_CFG = Config.fromfile(
    osp.join(
        osp.dirname(__file__), '..', '..', 'configs', '_base_', 'datasets',
        'toy_caers.py'))
TRAIN_PIPELINE = _CFG.train_pipeline
TEST_PIPELINE = _CFG.test_pipeline


@pytest.fixture(scope='module')
def toy_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('toy')
    generate_toy_caers(str(root), dict(train=2, test=1))
    return root


def caers(root, split, pipeline, **kwargs):
    """The CAER-S-layout data set of ``root``'s ``split``."""
    return DATASETS.build(
        dict(
            type='CAERSDataset',
            data_root=str(root),
            ann_file=f'{split}.txt',
            split=split,
            pipeline=pipeline,
            **kwargs))


@pytest.mark.parametrize('split,pipeline', [('train', TRAIN_PIPELINE),
                                            ('test', TEST_PIPELINE)])
def test_pipeline_output_contract(toy_root, split, pipeline):
    ds = caers(toy_root, split, pipeline, test_mode=split == 'test')
    samples = [ds[i] for i in range(len(ds))]
    for i, sample in enumerate(samples):
        face, ctx = sample['inputs']['face'], sample['inputs']['context']
        assert face.shape == (3, 96, 96) and face.dtype == torch.uint8
        assert ctx.shape == (3, 112, 112) and ctx.dtype == torch.uint8
        ds_ = sample['data_samples']
        info = ds.get_data_info(i)
        assert ds_.gt_label.tolist() == [info['gt_label']]
        assert ds_.img_path == info['img_path']
        assert ds_.ori_shape == (144, 192)
        np.testing.assert_array_equal(ds_.face_bbox, info['face_bbox'])
        assert face.float().std() > 10  # a real face, not zeros
    batch = default_collate(samples[:4])
    assert batch['inputs']['face'].shape == (4, 3, 96, 96)
    assert batch['inputs']['context'].shape == (4, 3, 112, 112)
    assert len(batch['data_samples']) == 4
    batch = pseudo_collate(samples[:4])
    assert len(batch['inputs']['face']) == 4


def test_test_pipeline_values(toy_root):
    """Test-time views equal the hand-computed crop / mask / resize."""
    ds = caers(toy_root, 'test', TEST_PIPELINE, test_mode=True)
    info = ds.get_data_info(0)
    img = cv2.imread(info['img_path'])
    x1, y1, x2, y2 = (int(v) for v in info['face_bbox'])
    face = cv2.resize(
        img[y1:y2, x1:x2], (96, 96), interpolation=cv2.INTER_LINEAR)
    masked = img.copy()
    masked[y1:y2, x1:x2] = 0
    ctx = cv2.resize(masked, (171, 128), interpolation=cv2.INTER_LINEAR)
    top, left = 8, 30  # mmcv CenterCrop: round((171 - 112) / 2) = 30
    out = ds[0]['inputs']
    np.testing.assert_array_equal(out['face'].permute(1, 2, 0).numpy(), face)
    np.testing.assert_array_equal(out['context'].permute(1, 2, 0).numpy(),
                                  ctx[top:top + 112, left:left + 112])


def _dataset_of(root, files, pipeline=TEST_PIPELINE):
    """An annotation-file dataset of ``files`` (name -> bytes or array)."""
    data_list = []
    for name, content in files.items():
        path = root / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            assert cv2.imwrite(str(path), content)
        data_list.append(
            dict(img_path=name, gt_label=0, face_bbox=[2, 2, 10, 10]))
    write_text(
        str(root / 'ann.json'),
        json.dumps(dict(metainfo={}, data_list=data_list)))
    return DATASETS.build(
        dict(
            type='EmotionAnnotationDataset',
            data_root=str(root),
            ann_file='ann.json',
            pipeline=pipeline,
            test_mode=True))


def test_grayscale_rgba_16bit_become_bgr_uint8(tmp_path):
    rng = np.random.default_rng(0)
    bgr = rng.integers(0, 256, (20, 24, 3), dtype=np.uint8)
    files = {
        'gray.png': bgr[..., 0],
        'rgba.png': np.dstack([bgr, np.full((20, 24), 9, np.uint8)]),
        'deep.png': bgr.astype(np.uint16) * 257,
        'gray16.png': bgr[..., 0].astype(np.uint16) * 257,
    }
    ds = _dataset_of(tmp_path, files, [dict(type='LoadImageFromFile')])
    expected = {
        'gray.png': np.repeat(bgr[..., :1], 3, -1),
        'rgba.png': bgr,
        'deep.png': bgr,
        'gray16.png': np.repeat(bgr[..., :1], 3, -1),
    }
    for i, name in enumerate(files):
        img = ds[i]['img']
        assert img.dtype == np.uint8 and img.shape == (20, 24, 3), name
        np.testing.assert_array_equal(img, expected[name], err_msg=name)


@pytest.mark.parametrize('name,content', [
    ('truncated.png', 'half'),
    ('truncated.jpg', 'half'),
    ('garbage.png', b'not an image at all'),
    ('empty.jpg', b''),
])
def test_corrupt_files_are_named(tmp_path, name, content):
    if content == 'half':
        ok, buf = cv2.imencode(
            name[-4:],
            np.random.default_rng(0).integers(
                0, 256, (64, 64, 3), dtype=np.uint8))
        content = buf.tobytes()[:len(buf) // 2]
    ds = _dataset_of(tmp_path, {name: content})
    with pytest.raises(RuntimeError, match=rf'Failed to prepare .*{name}'):
        ds[0]
    ds.test_mode = False  # no silent resampling in training either
    with pytest.raises(RuntimeError, match=rf'Failed to prepare .*{name}'):
        ds[0]


def test_missing_file_is_named(tmp_path):
    ds = _dataset_of(tmp_path, {'gone.png': np.zeros((4, 4, 3), np.uint8)})
    (tmp_path / 'gone.png').unlink()
    with pytest.raises(RuntimeError, match=r'gone\.png.*FileNotFoundError'):
        ds[0]


def test_dropping_transform_is_an_error(tmp_path):
    ds = _dataset_of(tmp_path, {'gone.png': np.zeros((4, 4, 3), np.uint8)},
                     [dict(type='LoadImageFromFile', ignore_empty=True)])
    (tmp_path / 'gone.png').unlink()
    ds.test_mode = False
    with pytest.raises(RuntimeError, match=r'dropped .*gone\.png'):
        ds[0]


def test_no_face_error_policy_names_file(tmp_path):
    img = np.zeros((20, 20, 3), np.uint8)
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='CropFace', missing_face='error')
    ]
    ds = _dataset_of(tmp_path, {'far.png': img}, pipeline)
    ds.get_data_info(0)  # box [2, 2, 10, 10] is fine
    ds[0]
    write_text(
        str(tmp_path / 'ann.json'),
        '{"metainfo": {}, "data_list": [{"img_path": "far.png", '
        '"gt_label": 1, "face_bbox": [30, 30, 40, 40]}]}')
    ds = DATASETS.build(
        dict(
            type='EmotionAnnotationDataset',
            data_root=str(tmp_path),
            ann_file='ann.json',
            pipeline=pipeline))
    with pytest.raises(RuntimeError, match=r'far\.png.*no area'):
        ds[0]


def test_color_jitter_without_hue_is_cv2_only():
    """The context colour augmentation avoids hue: mmcv.adjust_hue overflows
    for negative hue factors with numpy 2 (np.uint8(-25) raises), so
    CV2ColorJitter must have hue=0 (never calling it) and the cv2 backend (no
    PIL round trip)."""
    cfgs = [t for t in TRAIN_PIPELINE if t['type'] == 'CV2ColorJitter']
    assert len(cfgs) == 1
    t = TRANSFORMS.build(cfgs[0])
    assert t.hue is None and t.backend == 'cv2'
    assert t.brightness and t.contrast and t.saturation
    img = np.random.default_rng(0).integers(0, 256, (8, 8, 3), dtype=np.uint8)
    np.random.seed(0)
    out = t(dict(img=img.copy()))['img']
    assert out.dtype == np.uint8 and out.shape == img.shape
    assert not np.array_equal(out, img)


def test_training_batches_as_with_mmpretrains_color_jitter(toy_root):
    """CV2ColorJitter (and the in-place normalisation of the preprocessor)
    change nothing: the training pipeline and the data preprocessor give the
    same bits as with MMPretrain's ColorJitter(backend='cv2') and the plain
    (x - mean) / std, for the same seed."""
    reference = [
        dict(t, type='ColorJitter', backend='cv2')
        if t['type'] == 'CV2ColorJitter' else t for t in TRAIN_PIPELINE
    ]
    assert reference != TRAIN_PIPELINE
    preprocessor = MODELS.build(_CFG.data_preprocessor)
    batches = []
    for pipeline in (TRAIN_PIPELINE, reference):
        ds = caers(toy_root, 'train', pipeline)
        np.random.seed(0)
        batch = pseudo_collate([ds[i] for i in range(len(ds))] * 3)
        batches.append((batch['inputs'], preprocessor(batch)['inputs']))
    (packed, normalised), (ref_packed, ref_inputs) = batches
    for view in ('face', 'context'):
        for a, b in zip(packed[view], ref_packed[view]):
            assert torch.equal(a, b)
        rgb = torch.stack(ref_packed[view]).flip(1).float()
        mean = getattr(preprocessor, f'{view}_mean')
        std = getattr(preprocessor, f'{view}_std')
        assert torch.equal(normalised[view], (rgb - mean) / std)
        assert torch.equal(ref_inputs[view], normalised[view])


def test_image_without_box_gets_zero_face(toy_root, tmp_path):
    """CAER-S images missing from the face-box list go through the training
    pipeline with an all-zero face and an unmasked context."""
    lines = (toy_root / 'test.txt').read_text().splitlines()
    (tmp_path / 'test.txt').write_text('\n'.join(lines[1:]) + '\n')
    (tmp_path / 'test').symlink_to(toy_root / 'test')
    ds = caers(tmp_path, 'test', TRAIN_PIPELINE)
    assert ds.get_data_info(0)['face_bbox'] is None
    sample = ds[0]
    assert not sample['inputs']['face'].any()
    assert sample['inputs']['context'].shape == (3, 112, 112)
    assert sample['data_samples'].face_bbox is None
    assert sample['data_samples'].gt_label.tolist() == [0]
