"""benchmark_video_demo.py: its clip (size, codec, 1-2 real faces) and its
label-agreement measure. The timed runs themselves are not tests."""
import importlib.util
import json
import os.path as osp

import cv2
import pytest

pytest.importorskip('skimage')

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
TOOL = osp.join(ROOT, 'tools/analysis_tools/benchmark_video_demo.py')


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location('benchmark_video', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_clip_has_one_then_two_faces(tool, tmp_path):
    from glamor_mm.apis import detect_faces, init_face_detector
    path = str(tmp_path / 'clip.mp4')
    tool.make_clip(path, 20)
    capture = cv2.VideoCapture(path)
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 20
    assert capture.get(cv2.CAP_PROP_FPS) == 30
    fourcc = int(capture.get(cv2.CAP_PROP_FOURCC))
    assert fourcc.to_bytes(4, 'little') == b'FMP4'  # FFmpeg's MPEG-4 part 2
    frames = [capture.read()[1] for _ in range(20)]
    assert frames[0].shape == (400, 712, 3)
    detector = init_face_detector(
        osp.join(ROOT, 'configs/face_detectors/dlib_hog.py'))
    # Grace Hopper comes in for frames 6..15 (30 % to 80 % of the clip)
    counts = [
        len(detect_faces(detector, frames[t], 0.3)[0][0]) for t in (0, 10)
    ]
    assert counts == [1, 2]


def write_faces(path, frames):
    with open(path, 'w') as f:
        for i, faces in enumerate(frames):
            f.write(json.dumps(dict(frame=i, faces=faces)) + '\n')


def face(track, x, label, scores=(0.6, 0.4)):
    return dict(
        track_id=track,
        bbox=[x, 0, x + 40, 40],
        label=label,
        scores=list(scores))


def test_agreement_per_reference_face(tool, tmp_path):
    reference, other = tmp_path / 'ref.jsonl', tmp_path / 'new.jsonl'
    write_faces(reference, [[face(0, 0, 1), face(1, 100, 2)]] * 3 +
                [[face(0, 0, 2, (0.49, 0.51))]] * 10)
    write_faces(other, [[face(5, 102, 2), face(7, 2, 1)]] * 3 +
                [[face(7, 2, 1)]] * 5 + [[]] * 5)
    # face 0: same label in frames 0-2 only; face 1: matched by overlap
    assert tool.agreement(str(reference), str(other)) == {
        0: (13, 3),
        1: (3, 3)
    }
    assert tool.label_stability(str(reference)) == [
        'face #0: labels {1: 3, 2: 10}, 1 changes, median top-2 score '
        'margin 0.0200'
    ]


def test_show_without_display_is_refused(tool, tmp_path, monkeypatch):
    monkeypatch.delenv('DISPLAY', raising=False)
    monkeypatch.delenv('WAYLAND_DISPLAY', raising=False)
    monkeypatch.setattr(tool.sys, 'platform', 'linux')
    out_dir = tmp_path / 'out'
    monkeypatch.setattr(tool.sys, 'argv',
                        [TOOL, '--show', '--out-dir',
                         str(out_dir)])
    with pytest.raises(SystemExit, match='needs a display.*xvfb-run -a'):
        tool.main()
    assert not out_dir.exists()  # refused before any work
