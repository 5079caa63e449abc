"""The pipeline cache never serves a damaged or outdated row."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from glamor_mm.datasets.toy.caers import generate_toy_caers
from .test_pipeline_cache import _dataset
from .utils import logged_messages


@pytest.fixture
def filled(tmp_path):
    """A toy split whose cache is filled; returns (root, dataset)."""
    generate_toy_caers(str(tmp_path / 'toy'), dict(train=1))
    root = tmp_path / 'toy'
    dataset = _dataset(root, cache_dir='cache')
    for i in range(len(dataset)):
        dataset[i]
    return root, dataset


def _same_views(out, ref):
    return all(
        torch.equal(out['inputs'][v], ref['inputs'][v])
        for v in ('face', 'context'))


def _sample(dataset, i):
    np.random.seed(i)
    return dataset[i]


def test_truncated_file_is_refused_not_grown(filled):
    root, dataset = filled
    path = osp.join(dataset.pipeline_cache.root, 'img.npy')
    size = osp.getsize(path)
    os.truncate(path, size // 2)  # an interrupted copy of the folder
    fresh = _dataset(root, cache_dir='cache')
    with pytest.raises(RuntimeError, match='img.npy is truncated or damaged'):
        fresh[0]
    assert osp.getsize(path) == size // 2  # never zero-extended
    os.truncate(path, size + 10)
    with pytest.raises(RuntimeError, match='img.npy is truncated or damaged'):
        _dataset(root, cache_dir='cache')[0]


def test_row_changed_in_place_is_recomputed(filled):
    root, dataset = filled
    cache = dataset.pipeline_cache
    info = dataset.get_data_info(3)
    context = np.load(osp.join(cache.root, 'img.npy'), mmap_mode='r+')
    context[3, :10] = 0  # a few black lines, stamp left as it was
    context.flush()
    del context
    assert not cache.is_filled(3, info)
    fresh = _dataset(root, cache_dir='cache')
    with logged_messages() as records:
        out = _sample(fresh, 3)
    assert any('row 3 of' in r.getMessage() and 'checksum' in r.getMessage()
               for r in records)
    assert _same_views(out, _sample(_dataset(root), 3))
    assert fresh.pipeline_cache.is_filled(3, info)


def _replace_keeping_size_and_mtime(path, value):
    """Rewrite an image with other pixels, same byte size and mtime
    (uncompressed PNGs of one shape have one size)."""
    stat = os.stat(path)
    img = cv2.imread(path)
    img[:] = value
    assert cv2.imwrite(path, img, [cv2.IMWRITE_PNG_COMPRESSION, 0])
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    return stat.st_size


@pytest.mark.parametrize('check,noticed', [('stat', False), ('hash', True)])
def test_hash_check_sees_same_size_same_mtime_replacement(
        tmp_path, check, noticed):
    generate_toy_caers(str(tmp_path / 'toy'), dict(train=1))
    root = tmp_path / 'toy'
    uncached = _dataset(root)
    path = uncached.get_data_info(2)['img_path']
    _replace_keeping_size_and_mtime(path, 10)
    size = os.stat(path).st_size
    dataset = _dataset(root, cache_dir='cache', cache_check=check)
    _sample(dataset, 2)  # fills row 2
    _replace_keeping_size_and_mtime(path, 200)
    assert os.stat(path).st_size == size
    fresh = _dataset(root, cache_dir='cache', cache_check=check)
    info = fresh.get_data_info(2)
    assert fresh.pipeline_cache.is_filled(2, info) is not noticed
    assert _same_views(_sample(fresh, 2), _sample(uncached, 2)) is noticed


def test_unknown_cache_check_is_refused(tmp_path):
    with pytest.raises(ValueError, match="cache_check must be one of"):
        _dataset(tmp_path, cache_dir='cache', cache_check='mtime')
