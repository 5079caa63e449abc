"""Every shipped config loads, builds its model and runs its pipelines.

Configs are discovered under ``configs/`` (all but ``_base_``, the MMDet
configs in ``face_detectors``, which the detection tests build, and the
video configs in ``video``, which test_video_configs.py trains), so configs
added later are covered too. One generated toy image goes through each
config's train and test pipelines, the data preprocessor and the model.
"""
import glob
import os.path as osp
import re

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, default_collate
from mmengine.registry import init_default_scope
from mmpretrain.registry import DATASETS, MODELS

import glamor_mm  # noqa: F401
from glamor_mm.datasets.toy.caers import draw_toy_scene, generate_toy_caers

CONFIG_ROOT = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs')
CONFIGS = sorted(
    osp.relpath(path, CONFIG_ROOT)
    for path in glob.glob(osp.join(CONFIG_ROOT, '**', '*.py'), recursive=True)
    if osp.relpath(path, CONFIG_ROOT).split(osp.sep)[0] not in (
        '_base_', 'face_detectors', 'video'))
# {algo}_{backbone}_{gpus}xb{batch}-{epochs}e_{data}.py
NAME = re.compile(r'_(\d+)xb(\d+)-(\d+)e_')


def test_configs_found():
    assert 'glamor_r18_caers.py' in CONFIGS
    for backbone in ('original', 'mobilenetv2', 'resnet18'):
        for data in ('caers', 'ncaers'):
            assert osp.join(
                'glamor', f'glamor_{backbone}_1xb32-60e_{data}.py') in CONFIGS


@pytest.fixture(scope='module')
def toy_root(tmp_path_factory) -> str:
    root = str(tmp_path_factory.mktemp('toy_caers'))
    generate_toy_caers(
        root, num_per_class=dict(train=10, val=1, test=1), img_size=(96, 128))
    return root


@pytest.fixture(scope='module')
def toy_image(tmp_path_factory) -> dict:
    """One toy scene (label 3) on disk with its face box."""
    img, box = draw_toy_scene(3, np.random.default_rng(0), (120, 160))
    path = str(tmp_path_factory.mktemp('toy_image') / 'scene.png')
    cv2.imwrite(path, img)
    return dict(img_path=path, gt_label=3, face_bbox=list(box))


def load(name: str) -> Config:
    init_default_scope('mmpretrain')
    return Config.fromfile(osp.join(CONFIG_ROOT, name))


@pytest.mark.parametrize('name', CONFIGS)
def test_config_builds_and_runs(name, toy_image):
    cfg = load(name)
    assert cfg.default_scope == 'mmpretrain'
    assert 'glamor_mm' in cfg.custom_imports.imports

    # like Runner: the top-level data_preprocessor goes into the model;
    # init_weights is left out (some baselines start from local checkpoints)
    model_cfg = cfg.model.copy()
    if cfg.get('data_preprocessor', None) is not None:
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    model = MODELS.build(model_cfg)
    model.eval()
    num_classes = len(glamor_mm.datasets.categories.CAER_CLASSES)

    for loader in ('train_dataloader', 'test_dataloader'):
        pipeline = Compose(cfg[loader].dataset.pipeline)
        sample = pipeline(dict(toy_image))
        assert sample is not None, f'{name}: {loader} pipeline dropped it'
        data = model.data_preprocessor(default_collate([sample, sample]))
        with torch.no_grad():
            preds = model(**data, mode='predict')
            logits = model(data['inputs'], mode='tensor')
        assert len(preds) == 2
        score = preds[0].pred_score
        assert score.shape == (num_classes, )
        # the softmax of the logits; eval mode: equal samples, equal scores
        torch.testing.assert_close(score, logits[0].softmax(0))
        torch.testing.assert_close(preds[1].pred_score, score)
        assert int(preds[0].gt_label) == 3


@pytest.mark.parametrize('name', [n for n in CONFIGS if NAME.search(n)])
def test_name_matches_recipe(name):
    """``{gpus}xb{batch}-{epochs}e`` in the name is what the config does,
    and ``auto_scale_lr`` is based on that total batch."""
    gpus, batch, epochs = map(int, NAME.search(name).groups())
    cfg = load(name)
    assert cfg.train_dataloader.batch_size == batch
    assert cfg.train_cfg.max_epochs == epochs
    assert cfg.auto_scale_lr.base_batch_size == gpus * batch


@pytest.mark.parametrize('name', [
    n
    for n in CONFIGS if load(n).train_dataloader.dataset.type == 'CAERSDataset'
])
def test_caers_layout_datasets_build(name, toy_root):
    """CAER-S-layout configs read the toy tree (which has that layout). The
    CAER-S configs select the checkpoint on a validation split carved out of
    train.txt, never on test.txt."""
    cfg = load(name)
    sizes = dict(train_dataloader=70, val_dataloader=7, test_dataloader=7)
    holdout = cfg.train_dataloader.dataset.get('holdout')
    if holdout is not None:
        val = cfg.val_dataloader.dataset
        assert val.holdout == dict(holdout, part='val')
        assert (val.ann_file, val.split) == ('train.txt', 'train')
        assert cfg.test_dataloader.dataset.ann_file == 'test.txt'
        sizes['train_dataloader'] = 63
    paths = {}
    for loader, size in sizes.items():
        dataset_cfg = cfg[loader].dataset.copy()
        dataset_cfg.data_root = toy_root
        dataset = DATASETS.build(dataset_cfg)
        assert len(dataset) == size
        paths[loader] = {
            dataset.get_data_info(i)['img_path']
            for i in range(len(dataset))
        }
        sample = dataset[0]
        if name == osp.join('toy', 'on_toy_guided.py'):
            # 32x32 faces; the scene is the context view as it is
            assert sample['inputs']['face'].shape == (3, 32, 32)
            assert sample['inputs']['context'].shape == (3, 96, 128)
        elif name == osp.join('baselines', 'mini-xception_fer2013_face.py'):
            assert sample['inputs'].shape == (1, 64, 64)  # gray face only
        else:
            # the FER2013 face encoder takes gray 64x64 faces
            face = (1, 64, 64) if 'mini-xception' in name else (3, 96, 96)
            assert sample['inputs']['face'].shape == face
            assert sample['inputs']['context'].shape == (3, 112, 112)
    assert not paths['train_dataloader'] & paths['val_dataloader']


def test_fer_face_config_changes_only_the_face_view(toy_image):
    """The FER-face config inherits the CAER-S pipelines: the same
    transforms, but a 64x64 face crop made gray (before the base's face
    augmentations); its face view is 1x64x64, its context view the base's."""
    cfg = load(osp.join('glamor',
                        'glamor_mini-xception-fer-face_1xb32-60e_caers.py'))
    base = load(osp.join('_base_', 'datasets', 'caers.py'))
    for loader, key in (('train_dataloader', 'train_pipeline'),
                        ('val_dataloader', 'test_pipeline'),
                        ('test_dataloader', 'test_pipeline')):
        ours, theirs = cfg[loader].dataset.pipeline, base[key]
        face = ('CropFace', 'ApplyToFace')
        assert [t for t in ours if t.type not in face
                ] == [t for t in theirs if t.type not in face]
        crop, = [t for t in ours if t.type == 'CropFace']
        assert crop == dict(
            [t for t in theirs if t.type == 'CropFace'][0], scale=(64, 64))
        apply, = [t for t in ours if t.type == 'ApplyToFace']
        base_steps = [
            step for t in theirs if t.type == 'ApplyToFace'
            for step in t.transforms
        ]
        assert apply.transforms == [dict(type='Grayscale'), *base_steps]
    sample = Compose(cfg.test_dataloader.dataset.pipeline)(dict(toy_image))
    base_sample = Compose(base.test_pipeline)(dict(toy_image))
    assert sample['inputs']['face'].shape == (1, 64, 64)
    assert torch.equal(sample['inputs']['context'],
                       base_sample['inputs']['context'])
