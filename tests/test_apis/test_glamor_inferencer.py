import os.path as osp

import cv2
import mmcv
import numpy as np
import pytest
import torch
from mmengine.registry import DefaultScope
from mmpretrain.registry import TRANSFORMS

from glamor_mm.apis import GlamorInferencer, detect_faces

pytest.importorskip('dlib')

ROOT = osp.join(osp.dirname(__file__), '..', '..')
MODEL_CFG = osp.join(ROOT, 'configs/glamor/glamor_original_1xb32-12e_toy.py')
HOG_CFG = osp.join(ROOT, 'configs/face_detectors/dlib_hog.py')


@pytest.fixture(scope='module')
def inferencer():
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        inferencer = GlamorInferencer(MODEL_CFG, detector=HOG_CFG)
        # building the detector did not change the classifier's scope
        assert DefaultScope.get_current_instance().scope_name == 'mmpretrain'
    return inferencer


@pytest.fixture(scope='module')
def two_faces(real_photos):
    img = real_photos['grace_hopper']['img']
    return np.ascontiguousarray(np.concatenate([img, img], axis=1))


def manual_prediction(inferencer, img, box, all_boxes):
    """One full model pass for one face, context with all faces masked."""
    build = TRANSFORMS.build
    face = build(dict(type='CropFace',
                      scale=(96, 96)))(dict(img=img,
                                            face_bbox=box))['face_img']
    context = dict(img=img, face_bbox=all_boxes)
    for t in (dict(type='MaskFace'), dict(type='Resize', scale=(171, 128)),
              dict(type='CenterCrop', crop_size=112)):
        context = build(t)(context)
    packed = build(dict(type='PackTwoViewInputs'))(
        dict(img=context['img'], face_img=face))
    data = inferencer.model.data_preprocessor(
        dict(inputs={
            k: [v]
            for k, v in packed['inputs'].items()
        }))
    with torch.no_grad():
        return inferencer.model.predict(data['inputs'])[0], context['img']


def test_each_face_equals_a_full_pass_with_all_faces_masked(
        inferencer, two_faces):
    boxes, _ = detect_faces(inferencer.detector, two_faces)[0]
    assert len(boxes) == 2
    picture = inferencer.prepare(two_faces)
    faces = inferencer([two_faces], return_datasamples=True)[0]
    assert len(faces) == 2
    for k, face in enumerate(faces):
        ref, ref_context = manual_prediction(inferencer, two_faces, boxes[k],
                                             boxes)
        np.testing.assert_array_equal(picture['context_view'], ref_context)
        torch.testing.assert_close(face.pred_score, ref.pred_score)
        torch.testing.assert_close(face.attention, ref.attention)
        torch.testing.assert_close(face.fusion_weights, ref.fusion_weights)
        np.testing.assert_array_equal(face.metainfo['face_bbox'], boxes[k])
    # both face regions are zeroed in the one shared context view
    assert (picture['context_view'].reshape(-1, 3).sum(1) == 0).mean() > 0.1


def test_one_context_pass_per_picture(inferencer, two_faces, real_photos):
    calls = dict(context=[], face=[])
    hooks = [
        getattr(inferencer.model, f'{view}_backbone').register_forward_hook(
            lambda m, args, out, view=view: calls[view].append(args[0].shape[
                0])) for view in ('context', 'face')
    ]
    try:
        inferencer([two_faces, real_photos['grace_hopper']['path']])
    finally:
        for hook in hooks:
            hook.remove()
    assert calls['context'] == [1, 1]  # one pass per picture
    assert calls['face'] == [2, 1]  # all faces of a picture in one batch


def test_onnxruntime_backend_equals_pytorch(inferencer, two_faces, tmp_path):
    """The exported model under ONNX Runtime: same faces, same predictions
    (one context pass per picture is in the graph's shared-context input)."""
    pytest.importorskip('onnxruntime')
    from glamor_mm.deployment import export_onnx
    onnx_file = str(tmp_path / 'model.onnx')
    export_onnx(inferencer.model, onnx_file, classes=inferencer.classes)
    runtime = GlamorInferencer(
        MODEL_CFG, onnx_file, detector=HOG_CFG, backend='onnxruntime')
    assert runtime.classes == inferencer.classes
    expected = inferencer(two_faces)[0]['faces']
    got = runtime(two_faces)[0]['faces']
    assert len(got) == len(expected) == 2
    for face, ref in zip(got, expected):
        assert face['bbox'] == ref['bbox']
        assert face['pred_class'] == ref['pred_class']
        for key in ('pred_scores', 'attention', 'fusion_weights'):
            np.testing.assert_allclose(face[key], ref[key], atol=1e-5)
    with pytest.raises(ValueError, match='needs the exported .onnx'):
        GlamorInferencer(MODEL_CFG, detector=HOG_CFG, backend='onnxruntime')


def test_results_inputs_and_visualisation(inferencer, real_photos, tmp_path,
                                          face_region_check):
    folder = tmp_path / 'photos'
    folder.mkdir()
    for name in ('astronaut', 'coffee'):
        cv2.imwrite(str(folder / f'{name}.png'), real_photos[name]['img'])
    results = inferencer(str(folder), show_dir=str(tmp_path / 'vis'))
    assert [osp.basename(r['img_path'])
            for r in results] == ['astronaut.png', 'coffee.png']
    face, = results[0]['faces']
    assert results[1]['faces'] == []  # no face: nothing to classify
    assert face_region_check(face['bbox'], real_photos['astronaut']['face'])
    assert face['pred_scores'].sum() == pytest.approx(1, abs=1e-5)
    assert face['pred_class'] == inferencer.classes[face['pred_label']]
    assert face['pred_score'] == pytest.approx(face['pred_scores'].max())
    assert face['attention'].shape == (7, 7)
    assert face['attention'].sum() == pytest.approx(1, abs=1e-5)
    assert sum(face['fusion_weights']) == pytest.approx(1, abs=1e-5)
    drawing = mmcv.imread(str(tmp_path / 'vis' / 'astronaut.png'))
    # the picture plus a row with the face's attention tile
    assert drawing.shape[0] > 512 and drawing.shape[1] == 512
    np.testing.assert_array_equal(drawing[..., ::-1],
                                  results[0]['visualization'])
    assert osp.isfile(tmp_path / 'vis' / 'coffee.png')


def test_video_input(inferencer, real_photos, tmp_path):
    path = str(tmp_path / 'clip.avi')
    img = real_photos['astronaut']['img']
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'MJPG'), 5,
                             (img.shape[1], img.shape[0]))
    for shift in (0, 8, 16):
        frame = np.zeros_like(img)
        frame[:, shift:] = img[:, :img.shape[1] - shift]
        writer.write(frame)
    writer.release()
    results = inferencer(path)
    assert len(results) == 3
    # MJPG artefacts may add a weak false detection (score < 0.1) lower down
    confident = [[f for f in r['faces'] if f['det_score'] > 0.5]
                 for r in results]
    assert [len(faces) for faces in confident] == [1, 1, 1]
    xs = [faces[0]['bbox'][0] for faces in confident]
    assert xs[0] < xs[1] < xs[2]  # the face moves right


def test_rejects_a_model_without_predict_faces(tmp_path):
    from mmengine.config import Config
    cfg = Config.fromfile(MODEL_CFG)
    cfg.model = dict(
        type='ImageClassifier',
        backbone=dict(type='ResNet', depth=18),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=7, in_channels=512),
        data_preprocessor=dict(type='ClsDataPreprocessor'))
    with pytest.raises(TypeError, match='predict_faces'):
        GlamorInferencer(cfg, detector=HOG_CFG)
