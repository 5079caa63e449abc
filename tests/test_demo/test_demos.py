import argparse
import importlib.util
import json
import os
import os.path as osp
import re
import subprocess
import sys

import cv2
import numpy as np
import pytest


ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
MODEL_CFG = osp.join(ROOT, 'configs/glamor/glamor_original_1xb32-12e_toy.py')


def run_demo(name, *args, returncode=0):
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.run(
        [sys.executable,
         osp.join(ROOT, 'demo', name), *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT)
    assert proc.returncode == returncode, (
        proc.stdout[-2000:] + proc.stderr[-2000:])
    return proc


def test_image_demo(real_photos, tmp_path, face_region_check):
    """A folder with an unreadable file, an empty one and two pictures of
    one name: the results of the two are written, the others reported, and
    the exit status is 3."""
    folder = tmp_path / 'photos'
    folder.mkdir()
    img = real_photos['grace_hopper']['img']
    cv2.imwrite(str(folder / 'photo.jpg'), img)
    cv2.imwrite(str(folder / 'photo.png'), np.ascontiguousarray(img[:, ::-1]))
    (folder / 'broken.png').write_bytes(b'not a png')
    (folder / 'empty.png').write_bytes(b'')
    out_json = tmp_path / 'pred.json'
    proc = run_demo(
        'image_demo.py',
        folder,
        MODEL_CFG,
        '--out-dir',
        tmp_path / 'vis',
        '--out-json',
        out_json,
        returncode=3)
    assert 'broken.png: cannot be read as an image' in proc.stdout
    assert (f'2 of 4 picture(s) failed and were skipped:\n'
            f'  {folder}/broken.png: OSError: {folder}/broken.png: cannot be '
            'read as an image (corrupt, truncated or not an image file).\n'
            f'  {folder}/empty.png: OSError: {folder}/empty.png: cannot be '
            'read as an image (empty file).\n') in proc.stderr
    assert 'photo.jpg: 1: ' in proc.stdout and 'photo.png: 1: ' in proc.stdout
    drawings = {
        name: cv2.imread(str(tmp_path / 'vis' / name))
        for name in ('photo.jpg', 'photo.png')
    }
    for drawing in drawings.values():
        assert drawing.shape[1] == 512 and drawing.shape[0] > 600
    # two drawings, of the two pictures (one is the mirror of the other)
    assert np.abs(drawings['photo.jpg'][:600, ::-1].astype(int) -
                  drawings['photo.png'][:600]).mean() < 20
    results = json.loads(out_json.read_text())
    assert [r['error'] is None for r in results] == [False, False, True, True]
    face, = results[2]['faces']
    assert face_region_check(face['bbox'], real_photos['grace_hopper']['face'])
    assert len(face['pred_scores']) == 7
    assert np.asarray(face['attention']).shape == (7, 7)
    # one failure in a row is too many: it stops, writing no results
    out_json.unlink()
    proc = run_demo(
        'image_demo.py',
        folder,
        MODEL_CFG,
        '--out-dir',
        tmp_path / 'vis2',
        '--out-json',
        out_json,
        '--max-consecutive-failures',
        1,
        returncode=1)
    assert 'TooManyFailuresError: Stopped: 1 picture(s) in a row failed' in (
        proc.stderr)
    assert not out_json.exists()


def test_video_demo(real_photos, tmp_path, overstated_video):
    """A 4-frame video whose header announces 8: a warning, the 4 frames
    written, the faces of each frame, and the summary line."""
    src = str(tmp_path / 'in.avi')
    img = real_photos['grace_hopper']['img']
    h, w = img.shape[:2]
    writer = cv2.VideoWriter(src, cv2.VideoWriter_fourcc(*'MJPG'), 10, (w, h))
    for shift in range(0, 20, 5):
        frame = np.zeros_like(img)
        frame[:, shift:] = img[:, :w - shift]
        writer.write(frame)
    writer.release()
    overstated_video(src, 8)
    out = str(tmp_path / 'new' / 'folder' / 'out.mp4')  # folder created
    faces = tmp_path / 'faces.jsonl'
    proc = run_demo('video_demo.py', src, MODEL_CFG, '--out', out,
                    '--out-faces', faces, '--detect-every', '2', '--profile')
    assert f'4 frames written to {out}' in proc.stdout
    assert 'decoded 4 of the 8 frames' in proc.stderr
    assert re.search(r'^4 frames in [\d.]+ s \([\d.]+ fps\)$', proc.stdout,
                     re.M)
    assert re.search(r'^Models loaded in [\d.]+ s$', proc.stdout, re.M)
    assert re.search(r'^\| detect \| [\d.]+ \| [\d.]+ % \|$', proc.stdout,
                     re.M)
    records = [json.loads(line) for line in faces.read_text().splitlines()]
    assert [r['frame'] for r in records] == [0, 1, 2, 3]
    assert all(len(r['faces']) == 1 for r in records)
    assert {r['faces'][0]['track_id'] for r in records} == {0}
    video = cv2.VideoCapture(out)
    assert int(video.get(cv2.CAP_PROP_FRAME_COUNT)) == 4
    ok, frame = video.read()
    assert ok and frame.shape == (h, w, 3)
    # the face box is drawn in green around the face
    green = (frame[..., 1] > 150) & (frame[..., 0] < 100) & (
        frame[..., 2] < 100)
    ys, xs = np.nonzero(green[:, :])
    assert 140 < np.median(xs) < 400 and 120 < np.median(ys) < 380


def test_video_demo_fails_when_it_cannot_write(real_photos, tmp_path,
                                               monkeypatch):
    """In-process: it stops before building any model."""
    src = str(tmp_path / 'in.avi')
    img = real_photos['grace_hopper']['img']
    writer = cv2.VideoWriter(src, cv2.VideoWriter_fourcc(*'MJPG'), 10,
                             (img.shape[1], img.shape[0]))
    writer.write(img)
    writer.release()
    monkeypatch.chdir(ROOT)
    monkeypatch.syspath_prepend(osp.join(ROOT, 'demo'))
    monkeypatch.setattr(sys, 'argv', [
        'video_demo.py', src, MODEL_CFG, '--out',
        str(tmp_path / 'out.unknown')
    ])
    spec = importlib.util.spec_from_file_location(
        'video_demo', osp.join(ROOT, 'demo', 'video_demo.py'))
    video_demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(video_demo)
    with pytest.raises(SystemExit, match='Cannot write the video'):
        video_demo.main()


def test_video_demo_refuses_to_overwrite_its_input(real_photos, tmp_path,
                                                   monkeypatch):
    """--out naming the input (another spelling, a link) stops before
    anything is written or built; the input is intact."""
    src = tmp_path / 'in.avi'
    img = real_photos['grace_hopper']['img']
    writer = cv2.VideoWriter(
        str(src), cv2.VideoWriter_fourcc(*'MJPG'), 10,
        (img.shape[1], img.shape[0]))
    for _ in range(3):
        writer.write(img)
    writer.release()
    data = src.read_bytes()
    os.symlink(src, tmp_path / 'link.avi')
    monkeypatch.chdir(ROOT)
    monkeypatch.syspath_prepend(osp.join(ROOT, 'demo'))
    spec = importlib.util.spec_from_file_location(
        'video_demo', osp.join(ROOT, 'demo', 'video_demo.py'))
    video_demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(video_demo)
    for out in (src, tmp_path / '.' / 'in.avi', tmp_path / 'link.avi'):
        monkeypatch.setattr(
            sys, 'argv',
            ['video_demo.py',
             str(src), MODEL_CFG, '--out',
             str(out)])
        with pytest.raises(SystemExit, match='is the input video'):
            video_demo.main()
    assert src.read_bytes() == data
    assert sorted(os.listdir(tmp_path)) == ['in.avi', 'link.avi']


def test_backend_and_threads_arguments(tmp_path, monkeypatch):
    """--backend onnxruntime runs the exported file; --threads is applied."""
    import torch
    from mmengine.config import Config
    from mmpretrain.registry import MODELS

    from glamor_mm.deployment import (OnnxRuntimeClassifier, export_onnx,
                                      pipeline_view_shapes)
    monkeypatch.chdir(ROOT)
    monkeypatch.syspath_prepend(osp.join(ROOT, 'demo'))
    from inferencer_args import add_inferencer_args, build_inferencer
    cfg = Config.fromfile(MODEL_CFG)
    cfg.merge_from_dict({
        f'model.{view}_backbone.widths': [4, 8]
        for view in ('face', 'context')
    })
    cfg.merge_from_dict({
        f'model.{part}.{view}_channels': 8
        for part in ('neck', 'head')
        for view in ('face', 'context')
    })
    onnx_file = str(tmp_path / 'tiny.onnx')
    export_onnx(MODELS.build(cfg.model), onnx_file,
                *pipeline_view_shapes(cfg))
    parser = argparse.ArgumentParser()
    add_inferencer_args(parser)
    threads = torch.get_num_threads()
    try:
        inferencer = build_inferencer(
            parser.parse_args([
                MODEL_CFG, onnx_file, '--backend', 'onnxruntime', '--threads',
                '1'
            ]))
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(threads)
    assert isinstance(inferencer.model, OnnxRuntimeClassifier)
    faces = inferencer.classify_faces(np.full((200, 300, 3), 128, np.uint8))
    assert faces == []  # no face in a grey picture, and no error
