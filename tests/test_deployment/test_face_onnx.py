"""Face-only ONNX export: ONNX Runtime equals PyTorch, preprocessing
included."""
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

import glamor_mm  # noqa: F401
from glamor_mm.datasets import CAER_CLASSES

from glamor_mm.deployment import (
    FaceOnnxModule,  # noqa: E402
    OnnxRuntimeClassifier,
    export_face_onnx)

CONFIG = osp.join(
    osp.dirname(__file__), '..', '..', 'configs', 'baselines',
    'mini-xception_fer2013_face.py')


def test_face_only_graph_equals_pytorch(tmp_path):
    cfg = Config.fromfile(CONFIG)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(
            dict(cfg.model, data_preprocessor=cfg.data_preprocessor)).eval()
    onnx_file = str(tmp_path / 'face.onnx')
    export_face_onnx(model, onnx_file, classes=CAER_CLASSES)
    runtime = OnnxRuntimeClassifier(onnx_file)
    assert runtime.dataset_meta['classes'] == tuple(CAER_CLASSES)
    meta = runtime.session.get_modelmeta().custom_metadata_map
    assert json.loads(meta['face_shape']) == [1, 64, 64]
    faces = torch.randint(0, 256, (3, 1, 64, 64), dtype=torch.uint8)
    scores = runtime.run(faces.numpy(), None)['scores']
    with torch.no_grad():
        expected = FaceOnnxModule(model)(faces).numpy()
        # the graph holds the preprocessing: (x - 127.5) / 127.5
        direct = model(
            (faces.float() - 127.5) / 127.5, mode='tensor').softmax(1).numpy()
    np.testing.assert_allclose(expected, direct, atol=1e-6)
    assert scores.shape == (3, 7)
    assert np.abs(scores - expected).max() <= 1e-5


def test_pytorch2onnx_exports_the_converted_face_model(tmp_path, monkeypatch,
                                                       capsys):
    """tools/deployment/pytorch2onnx.py on a face-only config: the face
    shape comes from its test pipeline, the classes from the checkpoint."""
    import importlib.util
    import sys
    cfg = Config.fromfile(CONFIG)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    checkpoint = str(tmp_path / 'face.pth')
    torch.save(
        dict(
            state_dict=model.state_dict(),
            meta=dict(dataset_meta=dict(classes=list(CAER_CLASSES)))),
        checkpoint)
    tool = osp.join(
        osp.dirname(__file__), '..', '..', 'tools', 'deployment',
        'pytorch2onnx.py')
    spec = importlib.util.spec_from_file_location('pytorch2onnx', tool)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    onnx_file = str(tmp_path / 'face.onnx')
    monkeypatch.setattr(
        sys, 'argv',
        ['pytorch2onnx.py', CONFIG, checkpoint, '--out', onnx_file])
    diffs = module.main()
    assert set(diffs) == {'scores'} and diffs['scores'] <= 1e-5
    assert 'input face (1, 64, 64)' in capsys.readouterr().out
    runtime = OnnxRuntimeClassifier(onnx_file)
    assert runtime.dataset_meta['classes'] == tuple(CAER_CLASSES)


def test_inferencer_runs_the_face_only_graph(tmp_path, real_photos):
    """GlamorInferencer's ONNX Runtime backend with a face-only graph gives
    PyTorch's scores."""
    from glamor_mm.apis import GlamorInferencer
    cfg = Config.fromfile(CONFIG)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(
            dict(cfg.model, data_preprocessor=cfg.data_preprocessor)).eval()
    checkpoint = str(tmp_path / 'face.pth')
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    onnx_file = str(tmp_path / 'face.onnx')
    export_face_onnx(model, onnx_file, classes=CAER_CLASSES)
    detector = osp.join(
        osp.dirname(__file__), '..', '..', 'configs', 'face_detectors',
        'dlib_hog.py')
    path = real_photos['grace_hopper']['path']
    results = []
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        for weights, backend in ((checkpoint, 'pytorch'), (onnx_file,
                                                           'onnxruntime')):
            inferencer = GlamorInferencer(
                CONFIG, weights, detector=detector, backend=backend)
            results.append(inferencer(path)[0]['faces'])
    (torch_face, ), (ort_face, ) = results
    assert ort_face['bbox'] == torch_face['bbox']
    assert np.abs(ort_face['pred_scores'] -
                  torch_face['pred_scores']).max() <= 1e-5
