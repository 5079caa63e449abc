"""ONNX export round trip: the ONNX Runtime model equals the PyTorch one."""
import os.path as osp
import sys
import warnings

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmpretrain.registry import MODELS

import glamor_mm  # noqa: F401
from glamor_mm.datasets import CAER_CLASSES

from glamor_mm.deployment import (OnnxRuntimeClassifier,  # noqa: E402
                                  export_onnx, save_with_metadata)

ROOT = osp.join(osp.dirname(__file__), '..', '..')
TOY_CONFIG = osp.join(ROOT, 'configs', 'glamor',
                      'glamor_original_1xb32-12e_toy.py')
# A narrow two-block model of the same classes, exported in seconds.
TINY = dict(
    face_backbone=dict(widths=[4, 8]),
    context_backbone=dict(widths=[4, 8]),
    neck=dict(face_channels=8, context_channels=8, hidden_channels=4),
    head=dict(
        face_channels=8,
        context_channels=8,
        hidden_channels=4,
        fusion_hidden_channels=4))

SHAPES = ((3, 96, 96), (3, 112, 112))  # the toy config's face and context


def _tiny_model(**overrides):
    cfg = Config.fromfile(TOY_CONFIG)
    cfg.merge_from_dict(dict(model=TINY))
    cfg.merge_from_dict(dict(model=overrides))
    torch.manual_seed(0)
    return MODELS.build(
        dict(cfg.model, data_preprocessor=cfg.data_preprocessor)).eval()


def _views(k, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return (torch.randint(0, 256, (k, 3, 96, 96), dtype=torch.uint8,
                          generator=gen),
            torch.randint(0, 256, (1, 3, 112, 112), dtype=torch.uint8,
                          generator=gen))


def _predict_faces(model, faces, context):
    """PyTorch's ``predict_faces`` on uint8 views."""
    data = model.data_preprocessor(
        dict(inputs=dict(face=faces, context=context)))
    with torch.no_grad():
        return model.predict_faces(data['inputs']['face'],
                                   data['inputs']['context'])


@pytest.fixture(scope='module')
def exported(tmp_path_factory):
    """The tiny model and its ONNX file."""
    model = _tiny_model()
    out = str(tmp_path_factory.mktemp('onnx') / 'model.onnx')
    assert export_onnx(model, out, *SHAPES, classes=CAER_CLASSES) == [
        'scores', 'attention', 'fusion_weights'
    ]
    return model, out


def test_k_faces_with_one_context_equal_predict_faces(exported):
    """ONNX Runtime's K-face predictions (one shared context input) equal
    GlamorClassifier.predict_faces, and K contexts equal K samples."""
    model, out = exported
    runtime = OnnxRuntimeClassifier(out)
    assert runtime.dataset_meta['classes'] == tuple(CAER_CLASSES)
    faces, context = _views(4)
    expected = _predict_faces(model, faces, context)
    stacked = runtime.data_preprocessor(
        dict(inputs=dict(face=list(faces), context=list(context))))
    predictions = runtime.predict_faces(stacked['inputs']['face'],
                                        stacked['inputs']['context'])
    assert len(predictions) == 4
    for got, ref in zip(predictions, expected):
        assert int(got.pred_label) == int(ref.pred_label)
        for key in ('pred_score', 'attention', 'fusion_weights'):
            torch.testing.assert_close(
                got.get(key), ref.get(key), rtol=0, atol=1e-5)

    contexts = context.expand(4, -1, -1, -1).contiguous()
    data = model.data_preprocessor(
        dict(inputs=dict(face=faces, context=contexts)))
    with torch.no_grad():
        scores = model(data['inputs'], mode='tensor').softmax(1)
    np.testing.assert_allclose(
        runtime.run(faces.numpy(), contexts.numpy())['scores'],
        scores.numpy(),
        atol=1e-5)


def test_model_without_attention_or_fusion_weights(tmp_path):
    model = _tiny_model(
        neck=dict(_delete_=True, type='GlobalAveragePoolingTwoViewNeck'),
        head=dict(fusion='add'))
    out = str(tmp_path / 'gap.onnx')
    assert export_onnx(model, out, *SHAPES) == ['scores']
    runtime = OnnxRuntimeClassifier(out)
    assert runtime.dataset_meta['classes'] is None
    faces, context = _views(2)
    prediction = runtime.predict_faces(faces.numpy(), context.numpy())[0]
    assert 'attention' not in prediction and prediction.pred_score.shape == (
        7, )


def test_bad_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.onnx'):
        OnnxRuntimeClassifier(str(tmp_path / 'missing.onnx'))
    junk = tmp_path / 'junk.onnx'
    junk.write_bytes(b'not a model')
    with pytest.raises(ValueError, match='junk.onnx'):
        OnnxRuntimeClassifier(str(junk))
    other = str(tmp_path / 'linear.onnx')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # the legacy exporter's notice
        torch.onnx.export(
            torch.nn.Linear(3, 2), (torch.zeros(1, 3), ), other, dynamo=False)
    with pytest.raises(ValueError, match='linear.onnx: no SHA-256'):
        OnnxRuntimeClassifier(other)
    import onnx
    save_with_metadata(onnx.load(other), dict(outputs=['y']), other)
    with pytest.raises(ValueError, match='not a two-view model'):
        OnnxRuntimeClassifier(other)


def test_changed_file_is_refused(exported, tmp_path):
    """A byte flipped in the weights, or metadata edited after the export,
    no longer matches the stored SHA-256."""
    import onnx
    data = bytearray(open(exported[1], 'rb').read())
    proto = onnx.ModelProto.FromString(bytes(data))
    weights = proto.graph.initializer[0].raw_data
    at = bytes(data).index(weights) + len(weights) // 2
    data[at] ^= 0x01
    flipped = tmp_path / 'flipped.onnx'
    flipped.write_bytes(bytes(data))
    with pytest.raises(ValueError, match='flipped.onnx: its SHA-256'):
        OnnxRuntimeClassifier(str(flipped))

    for entry in proto.metadata_props:
        if entry.key == 'classes':
            entry.value = entry.value.replace('Happy', 'Hapless')
    edited = str(tmp_path / 'edited.onnx')
    onnx.save(proto, edited)
    with pytest.raises(ValueError, match='edited.onnx: its SHA-256'):
        OnnxRuntimeClassifier(edited)


def test_class_names_must_match_the_scores(tmp_path):
    """A 5-class model refuses 7 class names, stored or given."""
    model = _tiny_model(head=dict(num_classes=5))
    out = str(tmp_path / 'five.onnx')
    export_onnx(model, out, *SHAPES, classes=CAER_CLASSES[:5])
    runtime = OnnxRuntimeClassifier(out)
    assert runtime.num_classes == 5
    with pytest.raises(ValueError, match='5 scores, but 7 class names'):
        runtime.check_classes(CAER_CLASSES)
    export_onnx(model, out, *SHAPES, classes=CAER_CLASSES)
    with pytest.raises(ValueError, match='five.onnx: .*5 scores, but 7'):
        OnnxRuntimeClassifier(out)


def test_views_of_another_size_are_refused(exported):
    runtime = OnnxRuntimeClassifier(exported[1])
    faces = np.zeros((2, 3, 32, 32), np.uint8)
    context = np.zeros((1, 3, 112, 112), np.uint8)
    with pytest.raises(ValueError, match=r'face views of shape N×3×96×96, '
                       r'got 2×3×32×32'):
        runtime.run(faces, context)


def test_float_views_are_refused(exported):
    out = exported[1]
    faces, context = _views(1)
    with pytest.raises(TypeError, match='uint8 views.*float32'):
        OnnxRuntimeClassifier(out).data_preprocessor(
            dict(inputs=dict(face=[faces[0].float()], context=list(context))))


def test_missing_onnxruntime_names_the_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, 'onnxruntime', None)
    with pytest.raises(ImportError, match='pip install onnxruntime'):
        OnnxRuntimeClassifier(str(tmp_path / 'model.onnx'))


def test_face_only_model(tmp_path):
    """A one-stream model's graph has only the face input; the runtime
    feeds it only that, and predicts as PyTorch does."""
    model = _tiny_model(
        neck=dict(_delete_=True, type='GlobalAveragePoolingTwoViewNeck'),
        head=dict(branches=('face', )))
    out = str(tmp_path / 'face.onnx')
    assert export_onnx(model, out, *SHAPES) == ['scores']
    runtime = OnnxRuntimeClassifier(out)
    assert runtime.input_names == ['face']
    faces, context = _views(3)
    expected = _predict_faces(model, faces, context)
    got = runtime.predict_faces(faces.numpy(), context.numpy())
    for a, b in zip(got, expected):
        torch.testing.assert_close(
            a.pred_score, b.pred_score, rtol=0, atol=1e-5)


def test_export_uses_only_public_model_members():
    """The export runs the model's own ``forward_faces``: no private
    member of the model (``_encode``, ``_preprocess_view``...) is used."""
    import ast

    import glamor_mm.deployment.onnx_export as onnx_export
    with open(onnx_export.__file__) as f:
        tree = ast.parse(f.read())
    private = sorted({
        node.attr
        for node in ast.walk(tree) if isinstance(node, ast.Attribute)
        and node.attr.startswith('_') and not node.attr.startswith('__')
    })
    assert private == []
    assert 'forward_faces' in {
        node.attr
        for node in ast.walk(tree) if isinstance(node, ast.Attribute)
    }
