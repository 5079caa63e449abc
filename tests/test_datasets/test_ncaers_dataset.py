import os.path as osp

import pytest
from mmpretrain.registry import DATASETS

import glamor_mm  # noqa: F401
from .utils import write_image, write_text


@pytest.fixture
def ncaers(tmp_path):
    """NCAER-S layout: images/<split>/<Class>/*.jpg + crop/.../*.txt."""
    for rel in ('train/Surprise/0001.jpg', 'train/Surprise/0002.jpg',
                'train/disgust/0007.jpg', 'val/Sad/0001.jpg'):
        write_image(str(tmp_path / 'images' / rel))
    write_text(str(tmp_path / 'crop/train/Surprise/0001.txt'), '3,4,20,22\n')
    write_text(str(tmp_path / 'crop/train/disgust/0007.txt'), ' 1 2 9 10 ')
    # no face: train/Surprise/0002.jpg has no box file, val/Sad/0001 an
    # empty one, val/Sad/0002 the authors' 0,0,0,0
    write_text(str(tmp_path / 'crop/val/Sad/0001.txt'), '\n')
    write_image(str(tmp_path / 'images/val/Sad/0002.jpg'))
    write_text(str(tmp_path / 'crop/val/Sad/0002.txt'), '0,0,0,0\n')
    write_image(str(tmp_path / 'images/val/Sad/0003.jpg'))
    write_text(str(tmp_path / 'crop/val/Sad/0003.txt'), '1,1,5,5\n')
    return tmp_path


def _build(root, **kwargs):
    cfg = dict(type='NCAERSDataset', data_root=str(root), split='train')
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def test_layout_and_boxes(ncaers):
    ds = _build(ncaers)
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    assert [(osp.relpath(i['img_path'],
                         str(ncaers)), i['gt_label'], i['face_bbox'])
            for i in infos] == [
                ('images/train/Surprise/0001.jpg', 6, [3, 4, 20, 22]),
                ('images/train/Surprise/0002.jpg', 6, None),
                ('images/train/disgust/0007.jpg', 1, [1, 2, 9, 10]),
            ]
    val = _build(ncaers, split='val')
    assert len(val) == 3
    assert val.get_data_info(0)['face_bbox'] is None
    assert val.get_data_info(1)['face_bbox'] is None
    assert val.get_data_info(2)['face_bbox'] == [1, 1, 5, 5]


def test_custom_prefixes(ncaers):
    (ncaers / 'images').rename(ncaers / 'jpg')
    (ncaers / 'crop').rename(ncaers / 'boxes')
    ds = _build(ncaers, data_prefix=dict(img_path='jpg', box_path='boxes'))
    assert ds.get_data_info(0)['face_bbox'] == [3, 4, 20, 22]
    with pytest.raises(FileNotFoundError, match=r'face-box folder .*nowhere'):
        _build(ncaers, data_prefix=dict(img_path='jpg', box_path='nowhere'))


def test_malformed_box_file_is_named(ncaers):
    write_text(str(ncaers / 'crop/train/Surprise/0002.txt'), '1,2,3')
    with pytest.raises(ValueError, match=r'Surprise/0002\.txt: a face box'):
        _build(ncaers)


def test_unknown_class_folder(ncaers):
    write_image(str(ncaers / 'images/train/Bored/0001.jpg'))
    with pytest.raises(ValueError, match=r"'Bored' \(in .*images/train/"):
        _build(ncaers)


def test_empty_or_missing_split(ncaers):
    (ncaers / 'images' / 'test' / 'Sad').mkdir(parents=True)
    with pytest.raises(ValueError, match=r'images/test.*empty split'):
        _build(ncaers, split='test')
    with pytest.raises(FileNotFoundError, match=r'images/extra'):
        _build(ncaers, split='extra')


def test_split_without_any_box_is_an_error(ncaers):
    (ncaers / 'crop/val/Sad/0003.txt').unlink()
    with pytest.raises(
            ValueError,
            match=r'none of the 3 images of .*val.* '
            r'has a face box in .*crop/val'):
        _build(ncaers, split='val')
    (ncaers / 'crop' / 'val').rename(ncaers / 'crop' / 'old')
    with pytest.raises(FileNotFoundError, match=r'face-box folder .*crop/val'):
        _build(ncaers, split='val')


def test_byte_order_mark_in_a_box_file(ncaers):
    (ncaers / 'crop/train/Surprise/0001.txt').write_text(
        '\ufeff3,4,20,22\n', encoding='utf-8')
    assert _build(ncaers).get_data_info(0)['face_bbox'] == [3, 4, 20, 22]
