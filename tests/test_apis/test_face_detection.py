import os.path as osp

import numpy as np
import pytest
from mmengine.registry import DefaultScope

from glamor_mm.apis import detect_faces, init_face_detector, select_face

HOG_CFG = osp.join(
    osp.dirname(__file__), '../../configs/face_detectors/dlib_hog.py')


def current_scope():
    instance = DefaultScope.get_current_instance()
    return None if instance is None else instance.scope_name


def build_resnet():
    from mmpretrain.registry import MODELS
    return MODELS.build(dict(type='ResNet', depth=18))


def test_init_detector_changes_scope_and_helper_restores_it():
    from mmdet.apis import init_detector
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        assert current_scope() == 'mmpretrain'
        assert type(build_resnet()).__module__.startswith('mmpretrain')
        # the problem: MMDet's init_detector leaves 'mmdet' as the global
        # scope, and the classifier side then builds MMDet's ResNet
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            init_detector(HOG_CFG, device='cpu')
            assert current_scope() == 'mmdet'
            assert type(build_resnet()).__module__.startswith('mmdet')
        assert current_scope() == 'mmpretrain'
        # the fix
        model = init_face_detector(HOG_CFG)
        assert current_scope() == 'mmpretrain'
        detect_faces(model, np.zeros((100, 120, 3), np.uint8))
        assert current_scope() == 'mmpretrain'
        assert type(build_resnet()).__module__.startswith('mmpretrain')




def test_detect_faces_sorted_and_thresholded(real_photos):
    model = init_face_detector(
        HOG_CFG,
        cfg_options=dict(model=dict(adjust_threshold=-0.6, upsample=1)))
    img = real_photos['astronaut']['img']
    (bboxes, scores), = detect_faces(model, img)
    assert len(scores) >= 2 and (np.diff(scores) <= 0).all()
    (kept, kept_scores), = detect_faces(model, img, score_thr=0.5)
    np.testing.assert_array_equal(kept, bboxes[scores >= 0.5])
    np.testing.assert_array_equal(kept_scores, scores[scores >= 0.5])


def test_select_face():
    bboxes = np.array([[0, 0, 10, 10], [0, 0, 30, 30], [5, 5, 25, 20]],
                      np.float32)
    scores = np.array([0.5, 0.2, 0.9], np.float32)
    assert select_face(bboxes, scores, 'score') == 2
    assert select_face(bboxes, scores, 'area') == 1
    assert select_face(np.zeros((0, 4)), np.zeros(0)) is None
    with pytest.raises(ValueError, match='select'):
        select_face(bboxes, scores, 'biggest')


def test_mmdet_inference_detector_works_after_init_face_detector(real_photos):
    """The README's sequence: MMDet's own inference_detector builds the
    detector's pipeline in the current (restored, non-MMDet) scope."""
    from mmcv.transforms import Compose
    from mmdet.apis import inference_detector
    from mmdet.utils import get_test_pipeline_cfg
    photo = real_photos['grace_hopper']['path']
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        det = init_face_detector(HOG_CFG)
        bboxes = inference_detector(det, photo).pred_instances.bboxes
        np.testing.assert_allclose(
            bboxes.numpy(), detect_faces(det, photo)[0][0], rtol=1e-6)
        assert len(bboxes) == 1
        # any MMDet detector config: a RetinaNet whose pipeline comes from
        # MMDet's unscoped WIDER FACE base
        retina = init_face_detector(
            osp.join(osp.dirname(HOG_CFG), 'retinanet_r50_fpn_widerface.py'))
        types = [t['type'] for t in get_test_pipeline_cfg(retina.cfg)]
        assert types == [
            'LoadImageFromFile', 'mmdet.Resize', 'mmdet.LoadAnnotations',
            'mmdet.PackDetInputs'
        ]
        Compose(get_test_pipeline_cfg(retina.cfg))


def test_test_pipelines_are_built_once_per_model(tmp_path):
    """init_face_detector builds the file and the array pipelines once;
    detect_faces reuses them, and reading an array does not break reading
    files afterwards."""
    import cv2
    model = init_face_detector(HOG_CFG)
    pipelines = model.face_test_pipelines
    assert type(pipelines[True].transforms[0]).__name__ == \
        'LoadImageFromNDArray'
    assert type(pipelines[False].transforms[0]).__name__ == \
        'LoadImageFromFile'
    img = np.zeros((100, 120, 3), np.uint8)
    path = str(tmp_path / 'black.png')
    cv2.imwrite(path, img)
    from_array, from_file = detect_faces(model, [img, path])
    assert model.face_test_pipelines is pipelines
    assert pipelines[True] is model.face_test_pipelines[True]
    for (bboxes, scores) in (from_array, from_file):
        assert bboxes.shape == (0, 4) and scores.shape == (0, )
