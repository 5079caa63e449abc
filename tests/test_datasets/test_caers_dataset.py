import os.path as osp

import pytest
from mmpretrain.registry import DATASETS

import glamor_mm  # noqa: F401
from .utils import logged_messages, write_image, write_text

LIST = ('train/Angry/0001.png,0,1,2,11,12\n'
        'train/Happy/0002.png,3,4,4.5,20,24\n'
        '\n'
        'test/Sad/0001.png,5,0,0,5,5\n')


@pytest.fixture
def caers(tmp_path):
    """CAER-S layout; train/Happy/0003.png has no box in the list."""
    for rel in ('train/Angry/0001.png', 'train/Happy/0002.png',
                'train/Happy/0003.png', 'test/Sad/0001.png'):
        write_image(str(tmp_path / rel))
    write_text(str(tmp_path / 'train' / 'Happy' / 'notes.txt'), 'not an image')
    write_text(str(tmp_path / 'list.txt'), LIST)
    return tmp_path


def _build(root, **kwargs):
    cfg = dict(
        type='CAERSDataset',
        data_root=str(root),
        ann_file='list.txt',
        split='train')
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def test_layout_and_boxes(caers):
    ds = _build(caers)
    assert len(ds) == 3
    assert ds.CLASSES[0] == 'Anger' and len(ds.CLASSES) == 7
    infos = [ds.get_data_info(i) for i in range(3)]
    assert [i['img_path'] for i in infos] == [
        osp.join(str(caers), 'train/Angry/0001.png'),
        osp.join(str(caers), 'train/Happy/0002.png'),
        osp.join(str(caers), 'train/Happy/0003.png')
    ]
    assert [i['gt_label'] for i in infos] == [0, 3, 3]
    assert infos[0]['face_bbox'] == [1, 2, 11, 12]
    assert infos[1]['face_bbox'] == [4, 4.5, 20, 24]
    # image with no box in the list: kept, face_bbox None (documented)
    assert infos[2]['face_bbox'] is None
    assert ds.get_cat_ids(1) == [3]
    assert len(_build(caers, split='test')) == 1


def test_without_unannotated(caers):
    ds = _build(caers, with_unannotated=False)
    assert len(ds) == 2


def test_missing_annotation_file(caers):
    with pytest.raises(FileNotFoundError, match='nope.txt'):
        _build(caers, ann_file='nope.txt')


def test_unknown_class_folder(caers):
    write_image(str(caers / 'train' / 'Contempt' / '0001.png'))
    with pytest.raises(ValueError, match=r'Contempt.*train/Contempt'):
        _build(caers)


def test_empty_split(caers):
    (caers / 'val' / 'Sad').mkdir(parents=True)
    write_text(str(caers / 'val.txt'), 'val/Sad/0001.png,5,0,0,4,4\n')
    with pytest.raises(ValueError, match=r'val.*empty split'):
        _build(caers, ann_file='val.txt', split='val')


def test_missing_split_folder(caers):
    write_text(str(caers / 'val.txt'), 'val/Sad/0001.png,5,0,0,4,4\n')
    with pytest.raises(FileNotFoundError, match=r'folder .*val.* not exist'):
        _build(caers, ann_file='val.txt', split='val')


def test_listed_image_missing_on_disk(caers):
    write_text(
        str(caers / 'list.txt'), LIST + 'train/Sad/0009.png,5,0,0,4,4\n')
    with pytest.raises(
            FileNotFoundError,
            match=r'list\.txt:5: image .train/Sad/0009\.png'):
        _build(caers)


@pytest.mark.parametrize('line,match', [
    ('train/Angry/0001.png,3,1,2,11,12', 'disagrees with the class folder'),
    ('train/Angry/0001.png,0,1,2,11', 'expected'),
    ('train/Angry/0001.png,x,1,2,11,12', 'label'),
    ('train/Angry/0001.png,9,1,2,11,12', 'label'),
    ('train/Angry/0001.png,0,1,2,a,12', 'face box must be 4 finite'),
])
def test_bad_lines_name_file_and_line(caers, line, match):
    write_text(str(caers / 'list.txt'), line + '\n')
    with pytest.raises(ValueError, match=r'list\.txt:1: .*' + match):
        _build(caers)


def test_list_of_other_split(caers):
    write_text(str(caers / 'list.txt'), 'test/Sad/0001.png,5,0,0,5,5\n')
    with pytest.raises(ValueError, match="none of its 1 lines.*'train'"):
        _build(caers)


def test_empty_list(caers):
    write_text(str(caers / 'list.txt'), '\n')
    with pytest.raises(ValueError, match=r'list\.txt: the face-box list is'):
        _build(caers)


def test_duplicate_line(caers):
    write_text(str(caers / 'list.txt'), LIST + LIST)
    with pytest.raises(ValueError, match='listed twice'):
        _build(caers)


def test_byte_order_mark_keeps_the_first_line(caers):
    (caers / 'list.txt').write_text('\ufeff' + LIST, encoding='utf-8')
    ds = _build(caers)
    assert ds.get_data_info(0)['face_bbox'] == [1, 2, 11, 12]


def test_holdout_carves_a_seeded_stratified_validation_split(tmp_path):
    lines = []
    for label, cls in enumerate(('Angry', 'Happy', 'Sad')):
        for i in range(10 + 5 * label):  # 10, 15, 20 images
            rel = f'train/{cls}/{i:04d}.png'
            write_image(str(tmp_path / rel))
            lines.append(f'{rel},{(0, 3, 5)[label]},1,1,9,9\n')
    write_text(str(tmp_path / 'list.txt'), ''.join(lines))

    def paths(**holdout):
        ds = _build(tmp_path, holdout=holdout or None)
        return [ds.get_data_info(i)['img_path'] for i in range(len(ds))]

    everything = paths()
    val = paths(fraction=0.2, seed=0, part='val')
    train = paths(fraction=0.2, seed=0, part='train')
    assert sorted(val + train) == sorted(everything)  # a partition
    assert not set(val) & set(train)
    # 20 % of each class: 2 of 10, 3 of 15, 4 of 20
    assert [sum(f'/{c}/' in p for p in val)
            for c in ('Angry', 'Happy', 'Sad')] == [2, 3, 4]
    assert paths(fraction=0.2, seed=0, part='val') == val  # seeded
    assert paths(fraction=0.2, seed=1, part='val') != val
    with pytest.raises(ValueError, match='holdout must be'):
        paths(fraction=0.2, seed=0, part='test')


def test_holdout_parts_that_overlap_are_reported(tmp_path):
    lines = []
    for i in range(20):
        rel = f'train/Happy/{i:04d}.png'
        write_image(str(tmp_path / rel))
        lines.append(f'{rel},3,1,1,9,9\n')
    write_text(str(tmp_path / 'list.txt'), ''.join(lines))

    def overlap_warnings(train_holdout, val_holdout):
        with logged_messages() as records:
            train = _build(tmp_path, holdout=train_holdout)
            val = _build(tmp_path, holdout=val_holdout)
        del train, val  # dropped from the live datasets
        return [r.getMessage() for r in records if 'overlap' in r.getMessage()]

    same = dict(fraction=0.2, seed=0)
    assert overlap_warnings(dict(same, part='train'),
                            dict(same, part='val')) == []
    # the seed changed on the validation side only: 4 val images drawn
    # with seed 1, and the training part of seed 0 keeps some of them
    message, = overlap_warnings(
        dict(same, part='train'), dict(fraction=0.2, seed=1, part='val'))
    assert "holdout={'fraction': 0.2, 'seed': 1, 'part': 'val'}) shares" in (
        message)
    assert 'of its 4 images with CAERSDataset' in message
    assert '/train/Happy/' in message
    # the training side without a holdout: all 4 validation images
    message, = overlap_warnings(None, dict(same, part='val'))
    assert 'shares 4 of its 4 images' in message
