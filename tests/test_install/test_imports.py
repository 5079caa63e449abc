"""The installed stack works: compiled ops run and versions agree."""
import importlib.metadata

import pytest
import torch

BOXES = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.],
                      [20., 20., 30., 30.]])
SCORES = torch.tensor([0.9, 0.8, 0.7])


def test_glamor_mm_imports():
    import glamor_mm
    from glamor_mm.version import __version__
    assert glamor_mm.__version__ == __version__
    assert importlib.metadata.version('glamor_mm') == __version__


def test_mmcv_ops_nms_runs_on_real_tensors():
    import mmcv
    from mmcv.ops import nms
    assert mmcv.__version__ == '2.1.0'
    dets, keep = nms(BOXES, SCORES, iou_threshold=0.5)
    # box 1 overlaps box 0 with IoU 0.81 and is suppressed
    assert keep.tolist() == [0, 2]
    torch.testing.assert_close(dets[:, 4], torch.tensor([0.9, 0.7]))
    torch.testing.assert_close(dets[:, :4], BOXES[[0, 2]])


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a GPU')
def test_mmcv_ops_nms_runs_on_gpu():
    from mmcv.ops import get_compiling_cuda_version, nms
    if get_compiling_cuda_version() == 'not available':
        pytest.skip('mmcv was built with CPU ops only (no CUDA toolkit)')
    _, keep = nms(BOXES.cuda(), SCORES.cuda(), iou_threshold=0.5)
    assert keep.tolist() == [0, 2]


def test_torchvision_ops_match_torch():
    import torchvision
    from torchvision.ops import nms
    torch_minor = int(torch.__version__.split('.')[1])
    assert int(torchvision.__version__.split('.')[1]) == torch_minor + 15
    assert nms(BOXES, SCORES, 0.5).tolist() == [0, 2]


def test_mmdet_and_mmpretrain_accept_mmcv():
    # both assert the mmcv version range on import
    import mmdet
    import mmdet.apis  # noqa: F401
    import mmpretrain
    import mmpretrain.models  # noqa: F401
    assert mmdet.__version__ == '3.3.0'
    assert mmpretrain.__version__ == '1.2.0'


def test_pkg_resources_available_for_mmengine_config():
    # MMEngine's Config resolves `mmpretrain::` bases through pkg_resources
    from mmengine.config import Config
    cfg = Config.fromstring(
        "_base_ = ['mmpretrain::_base_/models/resnet18.py']", '.py')
    assert cfg.model.backbone.type == 'ResNet'
    assert cfg.model.backbone.depth == 18


def test_opencv_is_4():
    import cv2
    assert cv2.__version__.split('.')[0] == '4'
