import json
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest

pytest.importorskip('dlib')

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
MODEL_CFG = osp.join(ROOT, 'configs/glamor/glamor_original_1xb32-12e_toy.py')


def run_demo(name, *args):
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.run(
        [sys.executable,
         osp.join(ROOT, 'demo', name), *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc


def test_image_demo(real_photos, tmp_path, face_region_check):
    out_json = tmp_path / 'pred.json'
    proc = run_demo('image_demo.py', real_photos['grace_hopper']['path'],
                    MODEL_CFG, '--out-dir', tmp_path / 'vis', '--out-json',
                    out_json)
    assert 'grace_hopper.jpg: 1: ' in proc.stdout
    drawing = cv2.imread(str(tmp_path / 'vis' / 'grace_hopper.png'))
    assert drawing.shape[1] == 512 and drawing.shape[0] > 600
    face, = json.loads(out_json.read_text())[0]['faces']
    assert face_region_check(face['bbox'], real_photos['grace_hopper']['face'])
    assert len(face['pred_scores']) == 7
    assert np.asarray(face['attention']).shape == (7, 7)


def test_video_demo(real_photos, tmp_path):
    src = str(tmp_path / 'in.avi')
    img = real_photos['grace_hopper']['img']
    h, w = img.shape[:2]
    writer = cv2.VideoWriter(src, cv2.VideoWriter_fourcc(*'MJPG'), 10, (w, h))
    for shift in range(0, 20, 5):
        frame = np.zeros_like(img)
        frame[:, shift:] = img[:, :w - shift]
        writer.write(frame)
    writer.release()
    out = str(tmp_path / 'out.mp4')
    proc = run_demo('video_demo.py', src, MODEL_CFG, '--out', out)
    assert f'4 frames written to {out}' in proc.stdout
    video = cv2.VideoCapture(out)
    assert int(video.get(cv2.CAP_PROP_FRAME_COUNT)) == 4
    ok, frame = video.read()
    assert ok and frame.shape == (h, w, 3)
    # the face box is drawn in green around the face
    green = (frame[..., 1] > 150) & (frame[..., 0] < 100) & (
        frame[..., 2] < 100)
    ys, xs = np.nonzero(green[:, :])
    assert 140 < np.median(xs) < 400 and 120 < np.median(ys) < 380
