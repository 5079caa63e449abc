"""The face tools never unpickle the ``--out`` they resume from."""
import os.path as osp

import pytest

HOG = 'configs/face_detectors/dlib_hog.py'


@pytest.mark.parametrize('tool,name', [('detect_faces', 'a.png'),
                                       ('detect_face_tracks', 'a.avi')])
def test_crafted_out_is_refused_without_running(tmp_path, run_tool,
                                                crafted_pickle, tool, name):
    root = tmp_path / 'data'
    (root / 'train' / 'Happy').mkdir(parents=True)
    # only listed, never decoded: the tools stop before detecting
    (root / 'train' / 'Happy' / name).write_bytes(b'\0' * 64)
    for out, message in (('ann.pkl', 'give a file name ending in .json'),
                         ('ann.json', 'ann.json is not a valid JSON')):
        marker = crafted_pickle(tmp_path / out)
        proc = run_tool([
            f'tools/{tool}.py', HOG, '--data-root',
            str(root), '--split', 'train', '--out',
            str(tmp_path / out)
        ])
        assert proc.returncode != 0
        assert message in proc.stderr, proc.stderr[-2000:]
        assert not osp.exists(marker)
