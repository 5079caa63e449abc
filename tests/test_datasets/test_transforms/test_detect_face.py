import os
import os.path as osp
import pickle

import numpy as np
from mmengine.dataset import pseudo_collate
from mmpretrain.registry import TRANSFORMS
from torch.utils.data import DataLoader, Dataset

import glamor_mm  # noqa: F401


HOG_CFG = osp.join(
    osp.dirname(__file__), '../../../configs/face_detectors/dlib_hog.py')


def build(**kwargs):
    return TRANSFORMS.build(dict(type='DetectFace', config=HOG_CFG, **kwargs))


def test_fills_missing_box_only(real_photos, face_region_check):
    transform = build()
    photo = real_photos['grace_hopper']
    results = transform(dict(img=photo['img'].copy(), face_bbox=None))
    assert face_region_check(results['face_bbox'], photo['face'])
    assert results['face_det_bboxes'].shape == (1, 4)
    np.testing.assert_array_equal(results['face_bbox'],
                                  results['face_det_bboxes'][0])
    # an annotated box is kept (no detection), unless overwrite=True
    given = [1., 2., 3., 4.]
    kept = transform(dict(img=photo['img'].copy(), face_bbox=given))
    assert kept['face_bbox'] == given and 'face_det_bboxes' not in kept
    redone = build(overwrite=True)(dict(img=photo['img'], face_bbox=given))
    np.testing.assert_array_equal(redone['face_bbox'], results['face_bbox'])
    # no face: the box stays None and CropFace's policy decides
    coffee = transform(dict(img=real_photos['coffee']['img']))
    assert coffee['face_bbox'] is None
    assert coffee['face_det_bboxes'].shape == (0, 4)


def test_select_largest(real_photos):
    img = real_photos['astronaut']['img']
    small = np.ascontiguousarray(img[::2, ::2])  # a 256x256 copy
    # two faces: the original one and a smaller one pasted at the right
    canvas = np.zeros((512, 900, 3), np.uint8)
    canvas[:, :512] = img
    canvas[:256, 600:856] = small
    largest = build(select='area')(dict(img=canvas))
    boxes = largest['face_det_bboxes']
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    assert len(boxes) == 2
    np.testing.assert_array_equal(largest['face_bbox'],
                                  boxes[np.argmax(areas)])
    assert largest['face_bbox'][2] < 512  # the big face, on the left


class _Photos(Dataset):

    def __init__(self, photos, transform):
        self.imgs = [photos[n]['img'] for n in ('grace_hopper', 'coffee')]
        self.transform = transform

    def __len__(self):
        return len(self.imgs)

    def __getitem__(self, idx):
        results = self.transform(dict(img=self.imgs[idx]))
        return dict(
            face_bbox=results['face_bbox'],
            pid=os.getpid(),
            device=str(self.transform.detector.data_preprocessor.device))


def test_detector_built_once_per_worker_on_cpu(real_photos):
    transform = build(device='cpu')
    transform(dict(img=real_photos['coffee']['img']))  # built in main
    main_detector = transform._detector
    state = pickle.loads(pickle.dumps(transform)).__dict__
    assert state['_detector'] is None  # never shipped to workers
    loader = DataLoader(
        _Photos(real_photos, transform),
        batch_size=1,
        num_workers=1,
        collate_fn=pseudo_collate)
    out = list(loader)
    assert {o['pid'][0] for o in out} != {os.getpid()}
    assert all(o['device'][0] == 'cpu' for o in out)
    assert out[0]['face_bbox'][0] is not None
    assert out[1]['face_bbox'][0] is None
    assert transform._detector is main_detector  # the main copy is kept


def test_in_the_two_view_test_pipeline(real_photos, face_region_check):
    from mmcv.transforms import Compose
    from mmengine.config import Config
    cfg = Config.fromfile(
        osp.join(
            osp.dirname(__file__),
            '../../../configs/glamor/glamor_original_1xb32-12e_toy.py'))
    pipeline = list(cfg.test_dataloader.dataset.pipeline)
    assert pipeline[0]['type'] == 'WuffsLoadImageFromFile'
    pipeline.insert(1, dict(type='DetectFace', config=HOG_CFG))
    pipeline = Compose([TRANSFORMS.build(t) for t in pipeline])
    photo = real_photos['grace_hopper']
    packed = pipeline(dict(img_path=photo['path'], gt_label=3, face_bbox=None))
    sample = packed['data_samples']
    assert face_region_check(sample.face_bbox, photo['face'])
    assert packed['inputs']['face'].shape == (3, 96, 96)
    # the face crop is the detected face: not all zeros
    assert packed['inputs']['face'].float().std() > 10
