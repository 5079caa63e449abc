import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.structures import InstanceData

from glamor_mm.apis import detect_faces, init_face_detector

CFG_DIR = osp.join(osp.dirname(__file__), '../../../configs/face_detectors')


@pytest.mark.parametrize(
    'config', sorted(glob.glob(osp.join(CFG_DIR, '*.py'))), ids=osp.basename)
def test_every_face_detector_config_builds(config):
    model = init_face_detector(config, device='cpu')
    assert not model.training


def test_retinanet_runs_end_to_end_with_random_weights(real_photos):
    """The one-class RetinaNet: built from MMDet's bases, random weights."""
    torch.manual_seed(0)
    cfg = Config.fromfile(osp.join(CFG_DIR, 'retinanet_r50_fpn_widerface.py'))
    resize = cfg.test_dataloader.dataset.pipeline[1]
    assert resize.type == 'Resize'
    resize.scale = (256, 256)  # 640 in the config; smaller for the CPU
    model = init_face_detector(cfg, device='cpu')
    assert model.bbox_head.num_classes == 1
    assert model.bbox_head.cls_out_channels == 1  # sigmoid, one class
    img = real_photos['astronaut']['img'][::4, ::4]  # 128x128, resized 256
    with torch.no_grad():
        bboxes, scores = detect_faces(model, img)[0]
    assert 0 < len(bboxes) <= model.test_cfg.max_per_img
    assert (scores >= model.test_cfg.score_thr).all()
    assert (np.diff(scores) <= 0).all()
    # boxes are mapped back from 256x256 to the 128x128 input
    assert bboxes.min() >= 0 and bboxes.max() <= 128
    # the model also trains through MMDet's loss with the single class
    sample = DetDataSample(
        metainfo=dict(
            img_shape=(64, 64), pad_shape=(64, 64), batch_input_shape=(64,
                                                                       64)))
    sample.gt_instances = InstanceData(
        bboxes=torch.tensor([[10., 10., 40., 40.]]), labels=torch.tensor([0]))
    model.train()
    losses = model.loss(torch.rand(1, 3, 64, 64), [sample])
    total = sum(sum(v) for v in losses.values())
    assert torch.isfinite(total) and total > 0
