"""The classifier side does not import MMDetection, and glamor_mm's layers
depend one way: models <- datasets <- apis."""
import ast
import os
import os.path as osp
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PACKAGE = osp.join(ROOT, 'glamor_mm')
LAYERS = ('utils', 'models', 'datasets', 'apis')  # each may use the earlier

PROBE = '''
import sys
sys.modules['mmdet'] = None  # as if MMDet were not installed
import glamor_mm, glamor_mm.models, glamor_mm.datasets, glamor_mm.engine
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS
cfg = Config.fromfile(sys.argv[1])  # a classifier config: custom_imports
with DefaultScope.overwrite_default_scope('mmpretrain'):
    MODELS.build(cfg.model)
del sys.modules['mmdet']
import mmdet.registry
from glamor_mm.models.detectors import DlibHOGFaceDetector
assert mmdet.registry.MODELS.get('DlibHOGFaceDetector') is DlibHOGFaceDetector
print('ok')
'''


def test_classifier_side_does_not_need_mmdet():
    """In a fresh process where MMDet cannot be imported (MMPretrain
    itself imports it when it can, so its absence is what shows that
    glamor_mm does not): glamor_mm, its models, datasets and a classifier
    config load and build. The face detectors register into MMDet's MODELS
    once imported."""
    proc = subprocess.run([
        sys.executable, '-c', PROBE,
        osp.join(ROOT, 'configs/glamor/glamor_original_1xb32-12e_toy.py')
    ],
                          env=dict(os.environ, PYTHONPATH=ROOT),
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == 0 and 'ok' in proc.stdout, proc.stderr[-3000:]


def imported_glamor_modules(path: str) -> set:
    """The ``glamor_mm.<layer>`` packages a module imports, anywhere in it
    (also inside functions)."""
    tree = ast.parse(open(path).read())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            module = node.module
            if node.level:  # relative: resolve against the file's package
                parts = osp.relpath(path, ROOT)[:-3].split(os.sep)
                module = '.'.join(parts[:-node.level] + [module])
            names.add(module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {
        name.split('.')[1]
        for name in names
        if name.startswith('glamor_mm.') and len(name.split('.')) > 1
    }


@pytest.mark.parametrize('layer', LAYERS)
def test_layers_depend_one_way(layer):
    forbidden = set(LAYERS[LAYERS.index(layer) + 1:])
    for folder, _, files in os.walk(osp.join(PACKAGE, layer)):
        for name in files:
            if name.endswith('.py'):
                path = osp.join(folder, name)
                wrong = imported_glamor_modules(path) & forbidden
                assert not wrong, f'{osp.relpath(path, ROOT)} imports ' \
                    f'glamor_mm.{wrong.pop()} (a higher layer)'
