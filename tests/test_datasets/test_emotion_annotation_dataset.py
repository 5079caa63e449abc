import json
import pickle
import os.path as osp

import pytest
from mmpretrain.registry import DATASETS

import glamor_mm  # noqa: F401
from glamor_mm.datasets import CAER_CLASSES
from .utils import logged_messages, write_image, write_text


def _write(root, data_list, classes=CAER_CLASSES):
    metainfo = dict(face_detector='dlib_cnn')
    if classes is not None:
        metainfo['classes'] = list(classes)
    write_text(
        str(root / 'ann.json'),
        json.dumps(dict(metainfo=metainfo, data_list=data_list)))


def _build(root, **kwargs):
    cfg = dict(
        type='EmotionAnnotationDataset',
        data_root=str(root),
        ann_file='ann.json',
        data_prefix='imgs')
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def test_load(tmp_path):
    write_image(str(tmp_path / 'imgs/a.png'))
    _write(tmp_path, [
        dict(img_path='a.png', gt_label=2, face_bbox=[1, 2, 3, 4]),
        dict(img_path='b/c.jpg', gt_label=6, face_bbox=None),
        dict(img_path='d.jpg', gt_label=0),
    ])
    ds = _build(tmp_path)
    infos = [ds.get_data_info(i) for i in range(3)]
    assert [(osp.relpath(i['img_path'],
                         str(tmp_path)), i['gt_label'], i['face_bbox'])
            for i in infos] == [('imgs/a.png', 2, [1, 2, 3, 4]),
                                ('imgs/b/c.jpg', 6, None),
                                ('imgs/d.jpg', 0, None)]
    assert ds.CLASSES == CAER_CLASSES
    assert ds.metainfo['face_detector'] == 'dlib_cnn'


def test_other_spellings_of_the_same_classes(tmp_path):
    _write(
        tmp_path, [dict(img_path='a.png', gt_label=0)],
        classes=[c.lower() for c in CAER_CLASSES])
    assert len(_build(tmp_path)) == 1
    _write(tmp_path, [dict(img_path='a.png', gt_label=0)], classes=None)
    assert len(_build(tmp_path)) == 1


def test_classes_in_other_order_rejected(tmp_path):
    _write(
        tmp_path, [dict(img_path='a.png', gt_label=0)],
        classes=CAER_CLASSES[::-1])
    with pytest.raises(ValueError, match=r'ann\.json: its classes'):
        _build(tmp_path)


@pytest.mark.parametrize('entry,match', [
    (dict(img_path='a.png'), r'data_list\[0\] needs'),
    (dict(img_path='a.png', gt_label=7), r'data_list\[0\]: label 7'),
    (dict(img_path='a.png', gt_label=1,
          face_bbox=[1, 2]), r'data_list\[0\]: a face box must be 4'),
])
def test_bad_entries(tmp_path, entry, match):
    _write(tmp_path, [entry])
    with pytest.raises(ValueError, match=match):
        _build(tmp_path)


def test_missing_and_malformed_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r'ann\.json'):
        _build(tmp_path)
    write_text(str(tmp_path / 'ann.json'), json.dumps([1, 2]))
    with pytest.raises(ValueError, match='metainfo'):
        _build(tmp_path)
    _write(tmp_path, [])
    with pytest.raises(ValueError, match='empty split'):
        _build(tmp_path)


def _entries(boxes, ori_shape=None):
    entries = [
        dict(img_path=f'{i}.png', gt_label=i % 7, face_bbox=box)
        for i, box in enumerate(boxes)
    ]
    if ori_shape is not None:
        for entry in entries:
            entry['ori_shape'] = ori_shape
    return entries


def test_invalid_boxes_are_counted_at_load(tmp_path):
    good = [[10, 10, 40, 50]] * 18
    bad = [[40, 10, 10, 50], [10, 50, 40, 10], [500, 10, 530, 50]]
    _write(tmp_path, _entries(good + bad + [None], ori_shape=[100, 200]))
    with logged_messages() as records:
        ds = _build(tmp_path)
    assert len(ds) == 22  # kept: CropFace zeroes them, the hook counts them
    message, = [r.getMessage() for r in records if 'invalid' in r.getMessage()]
    assert 'of 22 images, 1 have no face box and 3 an invalid one' in message
    assert '18.png: box [40, 10, 10, 50] has no area' in message
    assert '20.png: box [500, 10, 530, 50] lies outside the 200x100' in message


def test_mostly_invalid_boxes_are_refused(tmp_path):
    # a list in x, y, w, h form: 13 of 21 boxes have x2 <= x1 or y2 <= y1
    xywh = [[60, 40, 30, 30]] * 13 + [[5, 5, 30, 30]] * 8
    _write(tmp_path, _entries(xywh))
    with pytest.raises(
            ValueError, match=r'13 of 21 face boxes are invalid'
            r'.*not x,y,w,h'):
        _build(tmp_path)


@pytest.mark.parametrize('shape', [[100], [0, 10], [10.5, 20], 'big'])
def test_bad_ori_shape(tmp_path, shape):
    _write(tmp_path, _entries([[1, 2, 3, 4]], ori_shape=shape))
    with pytest.raises(ValueError, match=r'data_list\[0\]: ori_shape must'):
        _build(tmp_path)


def test_duplicate_entries(tmp_path):
    _write(
        tmp_path,
        _entries([None, [1, 2, 3, 4], None]) +
        [dict(img_path='1.png', gt_label=1)])
    with pytest.raises(
            ValueError,
            match=r"data_list\[3\]: '1.png' is listed "
            r'twice \(first at data_list\[1\]\)'):
        _build(tmp_path)


def test_crafted_pickle_annotation_does_not_run(tmp_path, crafted_pickle):
    marker = crafted_pickle(tmp_path / 'ann.pkl')
    with pytest.raises(
            ValueError,
            match='ann.pkl: it is a pickle.*'
            r'EmotionAnnotationDataset\(allow_pickle=True\)'):
        _build(tmp_path, ann_file='ann.pkl')
    # opted in, the restricted unpickler refuses the payload
    with pytest.raises(pickle.UnpicklingError, match='ann.pkl'):
        _build(tmp_path, ann_file='ann.pkl', allow_pickle=True)
    assert not osp.exists(marker)


def test_data_pickle_annotation_with_opt_in(tmp_path):
    data = dict(
        metainfo=dict(classes=list(CAER_CLASSES)),
        data_list=[dict(img_path='a.png', gt_label=2, face_bbox=[1, 2, 3, 4])])
    (tmp_path / 'ann.pkl').write_bytes(pickle.dumps(data, protocol=2))
    ds = _build(tmp_path, ann_file='ann.pkl', allow_pickle=True)
    assert ds.get_data_info(0)['face_bbox'] == [1, 2, 3, 4]
