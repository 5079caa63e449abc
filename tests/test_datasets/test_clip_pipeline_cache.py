"""The clip pipeline cache gives the clips of the uncached pipeline and
never serves a damaged or outdated frame row."""
import copy
import importlib.util
import os
import os.path as osp
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import DATASETS

import glamor_mm  # noqa: F401
from glamor_mm.datasets import ClipPipelineCache
from glamor_mm.datasets.toy.caer_videos import generate_toy_caer_videos
from .utils import logged_messages

ROOT = osp.join(osp.dirname(__file__), '..', '..')
_CFG = Config.fromfile(
    osp.join(ROOT, 'configs', '_base_', 'datasets', 'caer.py'))


@pytest.fixture(scope='module')
def videos(tmp_path_factory):
    """Toy videos of 20-40 frames at 25 fps (8-16 sampled frames at 10
    fps, so that the shortest give one padded clip)."""
    root = tmp_path_factory.mktemp('clips')
    generate_toy_caer_videos(
        str(root), dict(train=1), num_frames=(20, 40), fps=25)
    return root


def _dataset(root, pipeline='train', **kwargs):
    init_default_scope('mmpretrain')  # TransformBroadcaster builds by name
    cfg = copy.deepcopy(_CFG.train_dataloader.dataset)
    cfg.update(
        data_root=str(root), pipeline=_CFG[f'{pipeline}_pipeline'], **kwargs)
    return DATASETS.build(cfg)


def _sample(dataset, i, seed):
    np.random.seed(seed)
    return dataset[i]


def _assert_same(out, ref):
    for view in ('face', 'context'):
        assert torch.equal(out['inputs'][view], ref['inputs'][view])
    meta, ref_meta = out['data_samples'].metainfo, ref['data_samples'].metainfo
    assert set(meta) == set(ref_meta)
    for key, value in ref_meta.items():
        if key == 'face_bboxes':
            assert len(meta[key]) == len(value)
            for box, ref_box in zip(meta[key], value):
                assert (box is None) == (ref_box is None)
                if box is not None:
                    assert box.dtype == ref_box.dtype
                    np.testing.assert_array_equal(box, ref_box)
        elif isinstance(value, np.ndarray):  # frame_inds
            np.testing.assert_array_equal(meta[key], value, err_msg=key)
        else:
            assert meta[key] == value, key


def _cache(dataset):
    cache = dataset.pipeline.transforms[1]
    assert isinstance(cache, ClipPipelineCache)
    return cache


@pytest.mark.parametrize('pipeline', ['train', 'test'])
def test_cached_clips_equal_uncached(videos, tmp_path, pipeline):
    uncached = _dataset(videos, pipeline)
    cached = _dataset(videos, pipeline, cache_dir=str(tmp_path / 'cache'))
    for epoch in range(2):  # the first fills the cache, the second reads it
        for i in range(len(uncached)):
            _assert_same(
                _sample(cached, i, 10 * epoch + i),
                _sample(uncached, i, 10 * epoch + i))
    cache = _cache(cached)
    # one row per sampled frame of every video, all filled
    total = sum(len(f) for f in cache.sampled_frames)
    assert cache.arrays['img'].shape == (total, 128, 171, 3)
    assert cache.arrays['face_img'].shape == (total, 96, 96, 3)
    assert (cache.arrays['stamp'][:, 0] == 1).all()


def _filled(videos, tmp_path):
    dataset = _dataset(videos, 'test', cache_dir=str(tmp_path / 'cache'))
    for i in range(len(dataset)):
        dataset[i]
    return dataset


def test_damaged_row_is_recomputed(videos, tmp_path):
    cache = _cache(_filled(videos, tmp_path))
    row = int(cache.offsets[3]) + 2
    context = np.load(osp.join(cache.root, 'img.npy'), mmap_mode='r+')
    good = np.array(context[row])
    context[row, :10] = 255 - context[row, :10]  # stamp left as it was
    context.flush()
    del context
    fresh = _dataset(videos, 'test', cache_dir=str(tmp_path / 'cache'))
    with logged_messages() as records:
        out = fresh[3]
    assert any(
        f'row {row} of' in r.getMessage() and 'checksum' in r.getMessage()
        for r in records)
    _assert_same(out, _dataset(videos, 'test')[3])
    np.testing.assert_array_equal(_cache(fresh).arrays['img'][row], good)


def test_truncated_file_is_refused(videos, tmp_path):
    cache = _cache(_filled(videos, tmp_path))
    path = osp.join(cache.root, 'face_img.npy')
    os.truncate(path, osp.getsize(path) - 100)
    fresh = _dataset(videos, 'test', cache_dir=str(tmp_path / 'cache'))
    with pytest.raises(RuntimeError, match='face_img.npy is truncated'):
        fresh[0]


def test_changed_video_or_track_refills_its_rows(videos, tmp_path):
    cache_dir = str(tmp_path / 'cache')
    dataset = _filled(videos, tmp_path)
    cache = _cache(dataset)
    path = dataset.get_data_info(2)['video_path']
    stamps = np.array(cache.arrays['stamp'])
    os.utime(path, ns=(0, 12345))  # a new modification time
    fresh = _dataset(videos, 'test', cache_dir=cache_dir)
    _assert_same(fresh[2], _dataset(videos, 'test')[2])
    changed = np.flatnonzero((_cache(fresh).arrays['stamp'] != stamps).any(1))
    rows = range(cache.offsets[2], cache.offsets[3])
    assert changed.tolist() == list(rows)  # that video's rows, all of them


def test_build_tool_fills_every_frame_row(videos, tmp_path, monkeypatch):
    path = osp.join(ROOT, 'tools', 'misc', 'build_pipeline_cache.py')
    spec = importlib.util.spec_from_file_location('build_cache', path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    cache_dir = str(tmp_path / 'cache')
    monkeypatch.setattr(sys, 'argv', [
        'build_pipeline_cache.py',
        osp.join(ROOT, 'configs', '_base_', 'datasets',
                 'caer.py'), '--cache-dir', cache_dir, '--workers', '0',
        '--cfg-options', f'train_dataloader.dataset.data_root={videos}'
    ])
    uncached = _dataset(videos)
    infos = [uncached.get_data_info(i) for i in range(len(uncached))]
    sampler = uncached.pipeline.transforms[0]
    rows = sum(
        sampler.num_sampled(i['total_frames'], i['avg_fps']) for i in infos)
    assert tool.main() == {'train_dataloader': rows}
    assert tool.main() == {'train_dataloader': 0}  # all rows up to date
    # training then reads every row from the cache, never decoding
    dataset = _dataset(videos, cache_dir=cache_dir)
    cache = _cache(dataset)
    monkeypatch.setattr(cache, '_fill_video', None)
    for i in range(len(dataset)):
        dataset[i]
