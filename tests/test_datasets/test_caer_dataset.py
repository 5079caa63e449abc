import json
import os
import shutil

import pytest
from mmengine.logging import MMLogger
from mmpretrain.registry import DATASETS

import glamor_mm  # noqa: F401
from glamor_mm.datasets.toy.caer_videos import generate_toy_caer_videos
from .utils import logged_messages


@pytest.fixture(scope='module')
def source(tmp_path_factory):
    """Toy videos, one per class of train, 3-4 frames each."""
    root = tmp_path_factory.mktemp('caer_src')
    generate_toy_caer_videos(str(root), dict(train=1), num_frames=(3, 4))
    return root


@pytest.fixture
def caer(source, tmp_path):
    root = tmp_path / 'caer'
    shutil.copytree(source, root)
    return root


def _ann(root):
    with open(root / 'train_tracks.json') as f:
        return json.load(f)


def _save(root, ann):
    with open(root / 'train_tracks.json', 'w') as f:
        json.dump(ann, f)


def _build(root, **kwargs):
    cfg = dict(
        type='CAERDataset',
        data_root=str(root),
        ann_file='train_tracks.json',
        split='train')
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def test_loads_one_sample_per_video(caer):
    ds = _build(caer)
    assert len(ds) == 7
    assert [ds.get_data_info(i)['gt_label']
            for i in range(7)] == list(range(7))
    assert ds.metainfo['face_tracks']['source'] == 'generate_toy_caer_videos'


def test_class_folder_spellings(caer):
    os.rename(caer / 'train' / 'Anger', caer / 'train' / 'angry')
    ann = _ann(caer)
    ann['data_list'][0]['video_path'] = 'train/angry/0000.avi'
    _save(caer, ann)
    ds = _build(caer)
    labels = {
        ds.get_data_info(i)['video_path'].split('/')[-2]:
        ds.get_data_info(i)['gt_label']
        for i in range(len(ds))
    }
    assert labels['angry'] == 0 and labels['Surprise'] == 6
    os.rename(caer / 'train' / 'angry', caer / 'train' / 'Grumpy')
    with pytest.raises(ValueError, match='Grumpy'):
        _build(caer)


@pytest.mark.parametrize(
    'change, error, message',
    [
        # video on disk without an entry
        (lambda a: a['data_list'].pop(3), ValueError,
         r'no face track for video .*Happy/0000.avi'),
        # entry without a video
        (lambda a: a['data_list'].append(
            dict(a['data_list'][0], video_path='train/Anger/0009.avi')),
         FileNotFoundError, r"'train/Anger/0009.avi' is not in"),
        (lambda a: a['data_list'].append(a['data_list'][0]), ValueError,
         'listed twice'),
        (lambda a: a['data_list'][2].update(gt_label=4), ValueError,
         r'data_list\[2\]: label 4 \(Neutral\) disagrees .*Fear/0000.avi'),
        (lambda a: a['data_list'][1].update(file_size=10), ValueError,
         r'data_list\[1\]: .*Disgust/0000.avi has \d+ bytes'),
        (lambda a: (a['metainfo'].update(failed=[
            dict(video_path='train/Disgust/0000.avi', error='moov atom')
        ]), a['data_list'].pop(1)), ValueError,
         r'could not decode .*Disgust/0000.avi \(moov atom\)'),
        (lambda a: a['data_list'][5].update(num_frames=9), ValueError,
         r'data_list\[5\]: "face_track" must be a list of one box per frame'),
        (lambda a: a['data_list'][5].update(fps=0), ValueError,
         '"fps" a positive number'),
        (lambda a: a['data_list'][5]['face_track'].__setitem__(0, [1, 2]),
         ValueError, r'face_track\[0\]: a face box must be 4'),
        (lambda a: a['data_list'][5].update(face_track_flags='dxd'),
         ValueError, 'face_track_flags'),
        (lambda a: a.update(data_list=[]), ValueError,
         "none of its 0 entries is a video of split 'train'"),
    ])
def test_errors_name_the_file(caer, change, error, message):
    ann = _ann(caer)
    change(ann)
    _save(caer, ann)
    with pytest.raises(error, match=message):
        _build(caer)


def test_missing_or_unsafe_ann_file(caer):
    with pytest.raises(FileNotFoundError, match='nothing.json'):
        _build(caer, ann_file='nothing.json')
    # a pickle is read as JSON: refused without unpickling anything
    (caer / 'tracks.pkl'
     ).write_bytes(b"cbuiltins\nexec\n(S'open(\"PWNED\", \"w\")'\ntR.")
    with pytest.raises(Exception, match='Expecting value|JSON'):
        _build(caer, ann_file='tracks.pkl')
    assert not os.path.exists('PWNED')
    # the clip cache needs the clip pipeline's structure
    with pytest.raises(ValueError, match='needs a pipeline that starts'):
        _build(caer, cache_dir='cache', pipeline=[dict(type='MaskFace')])


def test_videos_without_a_face(caer):
    ann = _ann(caer)
    for i in (1, 4):
        ann['data_list'][i].update(face_track=None, face_track_flags=None)
    _save(caer, ann)
    logger = MMLogger.get_current_instance()
    messages = []
    handler_emit = logger.handlers[0].emit
    logger.handlers[0].emit = lambda record: messages.append(record.getMessage(
    ))
    try:
        ds = _build(caer)
    finally:
        logger.handlers[0].emit = handler_emit
    assert len(ds) == 5
    assert [ds.get_data_info(i)['gt_label']
            for i in range(5)] == [0, 2, 3, 5, 6]
    assert any('2 video(s) have no face track (left out)' in m
               for m in messages), messages
    kept = _build(caer, no_face='keep')
    assert len(kept) == 7 and kept.get_data_info(1)['face_track'] is None
    with pytest.raises(ValueError, match=r'no face was found in .*Disgust'):
        _build(caer, no_face='error')
    with pytest.raises(ValueError, match='no_face must be'):
        _build(caer, no_face='zeros')


def test_truncated_video_fails_in_the_pipeline(caer):
    """A video cut after its tracks were made: the size check stops the
    dataset; without a recorded size the decoder names the file."""
    path = caer / 'train' / 'Sad' / '0000.avi'
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 3])
    with pytest.raises(ValueError, match='Sad/0000.avi has'):
        _build(caer)
    ann = _ann(caer)
    for item in ann['data_list']:
        item.pop('file_size')
    _save(caer, ann)
    ds = _build(
        caer,
        test_mode=True,
        pipeline=[
            dict(type='SampleClipFrames', clip_len=2, test_mode=True),
            dict(type='LoadVideoFrames')
        ])
    ds[0]  # a whole video decodes
    with pytest.raises(RuntimeError, match=r"Sad/0000.avi' \(sample 5"):
        ds[5]


def _swap_corners(ann, videos, frames=None):
    """Swap x1 and x2 in the tracks of ``videos`` (entry indices)."""
    for index in videos:
        track = ann['data_list'][index]['face_track']
        for t in range(len(track)) if frames is None else frames:
            x1, y1, x2, y2 = track[t]
            track[t] = [x2, y1, x1, y2]


def test_mostly_invalid_track_boxes_are_refused(caer):
    ann = _ann(caer)
    _swap_corners(ann, range(7))
    _save(caer, ann)
    with pytest.raises(
            ValueError,
            match=r'of \d+ face boxes are invalid, '
            r'e\.g\. .*0000\.avi frame 0: box .* has no area'):
        _build(caer)
    # x, y, w, h boxes: mostly x2 <= x1 or y2 <= y1 for faces away from 0
    ann = _ann(caer)
    for entry in ann['data_list']:
        entry['face_track'] = [[x1, y1, x2 - x1, y2 - y1]
                               for x1, y1, x2, y2 in entry['face_track']]
    _save(caer, ann)
    with pytest.raises(ValueError, match='not x,y,w,h'):
        _build(caer)


def test_invalid_track_boxes_are_counted_at_load(caer):
    ann = _ann(caer)
    _swap_corners(ann, [2], frames=[0, 1])
    entry = ann['data_list'][4]
    entry['face_track'][0] = [entry['width'] + 5, 0, entry['width'] + 9, 4]
    _save(caer, ann)
    with logged_messages() as records:
        ds = _build(caer)
    assert len(ds) == 7  # kept: CropFace zeroes those frames
    message, = [r.getMessage() for r in records if 'invalid' in r.getMessage()]
    assert '3 of ' in message and 'in 2 video(s), are invalid' in message
    assert 'frame 0: box' in message and 'has no area' in message
    assert 'lies outside the' in message


def test_bad_frame_size_is_refused(caer):
    ann = _ann(caer)
    ann['data_list'][0]['height'] = 0
    _save(caer, ann)
    with pytest.raises(ValueError, match='"height" and "width" must be'):
        _build(caer)
