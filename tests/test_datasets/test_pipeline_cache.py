"""The cache of the deterministic pipeline start gives the same batches."""
import importlib.util
import os
import os.path as osp
import sys
from functools import partial

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import default_collate, worker_init_fn
from mmpretrain.registry import DATASETS

import glamor_mm  # noqa: F401
from glamor_mm.datasets.toy.caers import generate_toy_caers

ROOT = osp.join(osp.dirname(__file__), '..', '..')
_CFG = Config.fromfile(
    osp.join(ROOT, 'configs', '_base_', 'datasets', 'toy_caers.py'))


@pytest.fixture
def toy_root(tmp_path):
    generate_toy_caers(str(tmp_path / 'toy'), dict(train=2))
    return tmp_path / 'toy'


def _dataset(root, cache_dir=None, pipeline=None, **kwargs):
    return DATASETS.build(
        dict(
            type='CAERSDataset',
            data_root=str(root),
            ann_file='train.txt',
            split='train',
            pipeline=pipeline or _CFG.train_pipeline,
            cache_dir=cache_dir,
            **kwargs))


def _epochs(dataset, num_epochs=2, num_workers=1):
    """The batches of a seeded, shuffled DataLoader over several epochs."""
    loader = torch.utils.data.DataLoader(
        dataset,
        batch_size=4,
        shuffle=True,
        num_workers=num_workers,
        collate_fn=default_collate,
        generator=torch.Generator().manual_seed(0),
        worker_init_fn=partial(
            worker_init_fn, num_workers=num_workers, rank=0, seed=0),
        persistent_workers=False)
    return [batch for _ in range(num_epochs) for batch in loader]


def _assert_same_batches(batches, expected):
    assert len(batches) == len(expected)
    for batch, ref in zip(batches, expected):
        for view in ('face', 'context'):
            assert torch.equal(batch['inputs'][view], ref['inputs'][view])
        for sample, ref_sample in zip(batch['data_samples'],
                                      ref['data_samples']):
            assert sample.gt_label.tolist() == ref_sample.gt_label.tolist()
            assert sample.metainfo.keys() == ref_sample.metainfo.keys()
            for key, value in ref_sample.metainfo.items():
                assert type(sample.metainfo[key]) is type(value), key
                np.testing.assert_array_equal(sample.metainfo[key], value)


def test_cached_batches_equal_uncached(toy_root, tmp_path):
    """Epoch 1 fills the cache in a worker, epoch 2 reads it: both equal
    the uncached batches of the same seed, augmentation included."""
    expected = _epochs(_dataset(toy_root))
    cached = _dataset(toy_root, cache_dir=str(tmp_path / 'cache'))
    assert [type(t).__name__ for t in cached.pipeline.transforms
            ][0] == ('ApplyToFace')  # only the random steps run per epoch
    _assert_same_batches(_epochs(cached), expected)
    cache = cached.pipeline_cache
    assert all(
        cache.is_filled(i, cached.get_data_info(i))
        for i in range(len(cached)))
    # a new dataset object (e.g. a new run) reads the filled rows
    _assert_same_batches(
        _epochs(_dataset(toy_root, cache_dir=str(tmp_path / 'cache'))),
        expected)


def test_changed_box_file_or_setting_invalidates(toy_root):
    cached = _dataset(toy_root, cache_dir='cache')
    assert cached.pipeline_cache.root.startswith(str(toy_root / 'cache'))
    for i in range(len(cached)):
        cached[i]

    # a changed face box: only that row is stale, and it is recomputed
    ann = toy_root / 'train.txt'
    lines = ann.read_text().splitlines()
    path, label = lines[0].split(',')[:2]
    lines[0] = f'{path},{label},10,20,60,70'
    ann.write_text('\n'.join(lines) + '\n')
    # a changed image file (content, size and mtime)
    changed = toy_root / lines[1].split(',')[0]
    cv2.imwrite(str(changed), np.full((144, 192, 3), 77, np.uint8))
    os.utime(changed, ns=(1, 1))

    fresh = _dataset(toy_root, cache_dir='cache')
    cache = fresh.pipeline_cache
    infos = [fresh.get_data_info(i) for i in range(len(fresh))]
    index = {info['img_path']: i for i, info in enumerate(infos)}
    stale = {index[str(toy_root / path)], index[str(changed)]}
    assert {i
            for i, info in enumerate(infos)
            if not cache.is_filled(i, info)} == stale
    uncached = _dataset(toy_root)
    for i in sorted(stale):
        np.random.seed(i)
        out = fresh[i]
        np.random.seed(i)
        ref = uncached[i]
        for view in ('face', 'context'):
            assert torch.equal(out['inputs'][view], ref['inputs'][view])
        assert cache.is_filled(i, infos[i])
    np.testing.assert_array_equal(
        fresh.pipeline_cache(infos[index[str(toy_root / path)]])['face_bbox'],
        [10, 20, 60, 70])

    # another pipeline setting uses another cache folder
    pipeline = [dict(t) for t in _CFG.train_pipeline]
    pipeline[1] = dict(pipeline[1], scale=(64, 64))
    other = _dataset(toy_root, cache_dir='cache', pipeline=pipeline)
    assert other.pipeline_cache.root != cache.root
    assert other[0]['inputs']['face'].shape == (3, 64, 64)


def test_views_of_varying_size_are_refused(toy_root):
    big = toy_root / 'train' / 'Anger' / '0001.png'
    cv2.imwrite(str(big), np.zeros((150, 200, 3), np.uint8))
    no_resize = [dict(type='LoadImageFromFile'), dict(type='CropFace')]
    dataset = _dataset(toy_root, cache_dir='cache', pipeline=no_resize)
    dataset[0]
    with pytest.raises(RuntimeError, match='0001.png.*fixed size'):
        dataset[1]


def test_build_tool_fills_every_row(toy_root, monkeypatch, capsys):
    path = osp.join(ROOT, 'tools', 'misc', 'build_pipeline_cache.py')
    spec = importlib.util.spec_from_file_location('build_cache', path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    argv = [
        'build_pipeline_cache.py',
        osp.join(ROOT, 'configs', '_base_', 'datasets',
                 'toy_caers.py'), '--cache-dir', 'cache', '--workers', '0',
        '--cfg-options', f'train_dataloader.dataset.data_root={toy_root}'
    ]
    monkeypatch.setattr(sys, 'argv', argv)
    assert tool.main() == {'train_dataloader': 14}
    assert tool.main() == {'train_dataloader': 0}  # all rows up to date
    assert '14 samples' in capsys.readouterr().out


def _filled_cache(toy_root):
    cached = _dataset(toy_root, cache_dir='cache')
    for i in range(len(cached)):
        cached[i]
    return cached.pipeline_cache.root


@pytest.mark.parametrize('content', [b'', b'{"img": [1, 2', b'\xff\xfe'])
def test_damaged_layout_names_the_file(toy_root, content):
    """An empty or cut layout.json used to give a bare JSONDecodeError."""
    root = _filled_cache(toy_root)
    layout = osp.join(root, 'layout.json')
    with open(layout, 'wb') as f:
        f.write(content)
    with pytest.raises(ValueError) as err:
        _dataset(toy_root, cache_dir='cache')
    assert f'{layout} is damaged: it is not valid JSON' in str(err.value)
    assert f'Delete {root}' in str(err.value)


@pytest.mark.parametrize('name', ['meta', 'stamp'])
def test_damaged_npy_header_names_the_file(toy_root, name):
    """A .npy file whose header is overwritten (size unchanged) used to give
    numpy's misleading 'Cannot load file containing pickled data'."""
    path = osp.join(_filled_cache(toy_root), f'{name}.npy')
    with open(path, 'r+b') as f:
        f.write(b'\0' * 8)
    with pytest.raises((ValueError, RuntimeError)) as err:
        _dataset(toy_root, cache_dir='cache')[0]
    assert path in str(err.value) and 'pickle' not in str(err.value)


def test_damaged_row_metadata_is_recomputed(toy_root):
    """A row whose JSON metadata was overwritten in place is recomputed,
    not an error (JSONDecodeError) and not served."""
    root = _filled_cache(toy_root)
    meta = np.load(osp.join(root, 'meta.npy'), mmap_mode='r+')
    meta[0, :8] = 0xff
    meta.flush()
    del meta
    cached = _dataset(toy_root, cache_dir='cache')
    cache, info = cached.pipeline_cache, cached.get_data_info(0)
    out = cache(info)
    ref = cache.transforms(dict(info))  # the cached steps, run anew
    for key in ('img', 'face_img', 'img_shape', 'face_bbox'):
        np.testing.assert_array_equal(out[key], ref[key])
    assert np.load(osp.join(root, 'meta.npy'))[0, 0] == ord('{')


def test_cacheable_start_is_decided_by_the_transforms_classes():
    """The cached start is the leading run of MMCV's LoadImageFromFile and
    Resize (and their subclasses) and of classes that set ``cacheable``; a
    random transform or a look-alike class name ends it."""
    from mmcv.transforms import BaseTransform, RandomFlip, Resize
    from mmpretrain.registry import TRANSFORMS

    from glamor_mm.datasets.pipeline_cache import split_cacheable

    class Jitter(Resize):  # a subclass that is deterministic
        pass

    class Resize2(BaseTransform):  # not MMCV's Resize

        def transform(self, results):
            return results

    Resize2.__name__ = 'Resize'
    cfg = Config.fromfile('configs/_base_/datasets/toy_caers.py')
    pipeline = [TRANSFORMS.build(t) for t in cfg.train_pipeline]
    cached, rest = split_cacheable(pipeline)
    assert [type(t).__name__ for t in cached
            ] == ['WuffsLoadImageFromFile', 'CropFace', 'MaskFace', 'Resize']
    assert rest == pipeline[len(cached):] and rest
    resize = pipeline[len(cached) - 1]
    for tail, num_cached in ((Jitter(scale=(8, 8)), 2), (Resize2(), 1),
                             (RandomFlip(prob=0.5), 1)):
        assert len(split_cacheable([resize, tail])[0]) == num_cached
    uncacheable = type('NotCached', (type(pipeline[1]), ),
                       dict(cacheable=False))
    assert not split_cacheable([uncacheable.__new__(uncacheable)])[0]
