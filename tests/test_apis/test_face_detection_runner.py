"""The detection runner both detection tools use, called without a command
line: records, the partial file, resuming and refusing another run."""
import json
import os.path as osp

import cv2
import numpy as np
import pytest

from glamor_mm.apis import face_detection_runner as runner

HOG_CFG = osp.join(
    osp.dirname(__file__), '../../configs/face_detectors/dlib_hog.py')


def test_run_detection_partial_file_and_resume(tmp_path):
    img = str(tmp_path / 'black.png')
    cv2.imwrite(img, np.zeros((60, 80, 3), np.uint8))
    broken = tmp_path / 'broken.png'
    broken.write_bytes(b'not a png')
    partial = str(tmp_path / 'out.json.partial.jsonl')
    ident = dict(config=HOG_CFG, score_thr=0.)
    done = runner.run_detection([('a.png', img), ('b.png', str(broken))],
                                partial,
                                ident,
                                HOG_CFG,
                                max_consecutive_failures=0)
    assert done['a.png'] == dict(
        img_path='a.png', ori_shape=[60, 80], bboxes=[], scores=[])
    assert 'broken.png' in done['b.png']['error']
    with open(partial) as f:
        lines = f.read().splitlines()
    assert json.loads(lines[0]) == ident and len(lines) == 3
    # resuming keeps the image that worked and tries the failed one again
    assert runner.load_partial(partial, ident) == {'a.png': done['a.png']}
    with pytest.raises(ValueError, match=r'differs in score_thr: 0\.0 there'):
        runner.load_partial(partial, dict(ident, score_thr=0.5))
    # the worker's detector is the one init_worker built
    boxes, scores = runner.detect_in_worker(np.zeros((60, 80, 3), np.uint8))
    assert boxes.shape == (0, 4) and scores.shape == (0, )
