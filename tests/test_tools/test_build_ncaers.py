import importlib.util
import os
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
from mmengine.registry import DefaultScope

ROOT = osp.join(osp.dirname(__file__), '..', '..')
spec = importlib.util.spec_from_file_location(
    'build_ncaers',
    osp.join(ROOT, 'tools', 'dataset_converters', 'build_ncaers.py'))
build_ncaers = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build_ncaers)

FPS = 5


def make_video(path, num_frames, clip_id):
    """Left half encodes the frame index (5 * i), right half the clip."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'MJPG'), FPS,
                             (64, 48))
    for i in range(num_frames):
        frame = np.full((48, 64, 3), 20 * clip_id, np.uint8)
        frame[:, :32] = 5 * i
        writer.write(frame)
    writer.release()


def decoded_index(img_path):
    return int(round(cv2.imread(img_path)[8:40, 4:28].mean() / 5))


@pytest.fixture(scope='module')
def caer_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('caer')
    make_video(str(root / 'train/Anger/a.avi'), 22, 1)  # 4.4 s: 2 parts
    make_video(str(root / 'train/Anger/b.avi'), 22, 2)  # 2 parts
    make_video(str(root / 'train/Happy/c.avi'), 32, 3)  # 6.4 s: 3 parts
    make_video(str(root / 'validation/Anger/d.avi'), 8, 4)  # 1 part
    make_video(str(root / 'test/Happy/e.avi'), 12, 5)  # 1 part
    # The same clip in train and test: must not reach the test split.
    shutil.copy(root / 'train/Anger/a.avi', root / 'test/Happy/dup.avi')
    return str(root)


def images_of(out):
    found = {}
    for dirpath, _, files in os.walk(osp.join(out, 'images')):
        for f in files:
            found[osp.relpath(osp.join(dirpath, f),
                              out)] = osp.join(dirpath, f)
    return found


def test_build_ncaers(caer_root, tmp_path):
    out = str(tmp_path / 'ncaer_s')
    build_ncaers.main([caer_root, out, '--seed', '3'])
    images = images_of(out)
    counts = {}
    for rel in images:
        split, cls = rel.split(os.sep)[1:3]
        counts[(split, cls)] = counts.get((split, cls), 0) + 1
    assert counts == {
        ('train', 'Anger'): 4,
        ('train', 'Happy'): 3,
        ('val', 'Anger'): 1,
        ('test', 'Happy'): 1
    }
    assert not any('dup' in rel for rel in images)

    # One frame per ~2 s part, the frame the file name says.
    bounds = {
        'a': [0, 11, 22],
        'b': [0, 11, 22],
        'c': [0, 11, 21, 32],
        'd': [0, 8],
        'e': [0, 12]
    }
    per_clip = {}
    for rel, path in images.items():
        clip, frame = osp.splitext(osp.basename(rel))[0].split('_')
        assert decoded_index(path) == int(frame)
        per_clip.setdefault(clip, []).append(int(frame))
    for clip, frames in per_clip.items():
        edges = bounds[clip]
        parts = sorted(np.searchsorted(edges, frames, side='right') - 1)
        assert parts == list(range(len(edges) - 1)), (clip, frames)

    with open(osp.join(out, 'sources', 'test.txt')) as f:
        line = f.read().split()[0]
    image, clip, frame = line.split(',')
    assert image == f'Happy/e_{int(frame):06d}.jpg'
    assert clip == osp.join('test', 'Happy', 'e.avi')

    # Same seed -> same frames; another seed -> other frames.
    again = str(tmp_path / 'again')
    build_ncaers.main([caer_root, again, '--seed', '3'])
    assert sorted(images_of(again)) == sorted(images)
    other = str(tmp_path / 'other')
    build_ncaers.main([caer_root, other, '--seed', '4'])
    assert sorted(images_of(other)) != sorted(images)


def test_build_ncaers_resume(caer_root, tmp_path):
    out = str(tmp_path / 'ncaer_s')
    build_ncaers.main([caer_root, out])
    images = images_of(out)
    lost = sorted(images)[0]
    os.remove(images[lost])
    mtimes = {
        k: os.stat(p).st_mtime_ns
        for k, p in images.items() if k != lost
    }
    build_ncaers.main([caer_root, out])
    resumed = images_of(out)
    assert sorted(resumed) == sorted(images)
    assert {k: os.stat(resumed[k]).st_mtime_ns for k in mtimes} == mtimes


def test_build_ncaers_balance(caer_root, tmp_path):
    out = str(tmp_path / 'balanced')
    build_ncaers.main([caer_root, out, '--balance'])
    train = [r for r in images_of(out) if r.split(os.sep)[1] == 'train']
    anger = [r for r in train if r.split(os.sep)[2] == 'Anger']
    assert len(anger) == 3 and len(train) == 6


def test_build_ncaers_bad_root(tmp_path):
    with pytest.raises(FileNotFoundError, match='train/validation/test'):
        build_ncaers.main([str(tmp_path), str(tmp_path / 'out')])


def test_build_ncaers_face_detection(caer_root, tmp_path):
    config = osp.join(ROOT, 'configs', 'face_detectors', 'dlib_hog.py')
    out = str(tmp_path / 'ncaer_s')
    DefaultScope.get_instance('test_build_ncaers', scope_name='mmpretrain')
    build_ncaers.main([caer_root, out, '--detector-config', config])
    # The MMDet detector must not leave 'mmdet' as the global default scope.
    assert DefaultScope.get_current_instance().scope_name == 'mmpretrain'
    images = images_of(out)
    for rel in images:
        box_file = osp.join(out, 'crop', *rel.split(os.sep)[1:])
        with open(osp.splitext(box_file)[0] + '.txt') as f:
            # Flat synthetic frames hold no face.
            assert f.read().strip() == '0,0,0,0'


def test_extract_frames_short_video(caer_root, tmp_path):
    # A header that over-counts the frames: the missing frame is left out
    # with a warning naming the video, the others are written.
    path = osp.join(caer_root, 'validation', 'Anger', 'd.avi')  # 8 frames
    clip = build_ncaers.Clip('val', 'Anger', path, [2, 30])
    with pytest.warns(UserWarning, match=r'd\.avi.*\[30\]'):
        written = build_ncaers.extract_frames(clip, str(tmp_path))
    assert list(written) == [2]
    assert decoded_index(written[2]) == 2
