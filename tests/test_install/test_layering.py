"""The classifier side does not import MMDetection, and glamor_mm's
subpackages depend one way (``LAYERS``)."""
import ast
import os
import os.path as osp
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PACKAGE = osp.join(ROOT, 'glamor_mm')
# Every subpackage and the subpackages it may import. utils is the base;
# models, evaluation and engine build on it; datasets may use the models;
# visualization and deployment work on built models and data; apis, the
# inference entry points, may use everything but the training engine. No
# library layer imports apis, engine or deployment.
LAYERS = {
    'checkpoint': set(),
    'utils': {'checkpoint'},
    'models': {'checkpoint', 'utils'},
    'evaluation': {'checkpoint', 'utils'},
    'engine': {'checkpoint', 'utils', 'models', 'datasets', 'evaluation'},
    'datasets': {'checkpoint', 'utils', 'models'},
    'visualization': {'checkpoint', 'utils', 'models', 'datasets'},
    'deployment': {'checkpoint', 'utils', 'models', 'datasets'},
    'apis': {
        'checkpoint', 'utils', 'models', 'datasets', 'evaluation',
        'visualization', 'deployment'
    },
}
# Lazy imports (inside a function) that cross a layer, with the reason.
LAZY_EXCEPTIONS = {
    # the transform runs the face-detection API in a data pipeline; it
    # imports it when it first detects
    'glamor_mm/datasets/transforms/detect_face.py': {'apis'},
}

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


def test_every_subpackage_has_a_layer():
    subpackages = {
        name
        for name in os.listdir(PACKAGE)
        if osp.isfile(osp.join(PACKAGE, name, '__init__.py'))
    }
    assert subpackages == set(LAYERS)


@pytest.mark.parametrize('layer', sorted(LAYERS))
def test_layers_depend_one_way(layer):
    allowed = LAYERS[layer] | {layer}
    for folder, _, files in os.walk(osp.join(PACKAGE, layer)):
        for name in files:
            if name.endswith('.py'):
                path = osp.join(folder, name)
                rel = osp.relpath(path, ROOT).replace(os.sep, '/')
                wrong = imported_glamor_modules(path) - allowed - \
                    LAZY_EXCEPTIONS.get(rel, set())
                assert not wrong, f'{rel} imports glamor_mm.' \
                    f'{wrong.pop()} (not below {layer})'


def test_lazy_exceptions_are_lazy():
    """The listed cross-layer imports stay inside functions (importing the
    module does not import the higher layer)."""
    for rel, layers in LAZY_EXCEPTIONS.items():
        tree = ast.parse(open(osp.join(ROOT, rel)).read())
        top = set()
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.module:
                top.add(node.module)
        assert not {f'glamor_mm.{layer}' for layer in layers} & top, rel


def test_no_command_line_code_in_the_library():
    """Command-line options and exits belong to tools/ and demo/: no module
    of glamor_mm imports argparse or calls sys.exit."""
    for folder, _, files in os.walk(PACKAGE):
        for name in files:
            if not name.endswith('.py'):
                continue
            path = osp.join(folder, name)
            rel = osp.relpath(path, ROOT)
            for node in ast.walk(ast.parse(open(path).read())):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    modules = [node.module] if isinstance(
                        node, ast.ImportFrom) else [
                            alias.name for alias in node.names]
                    assert 'argparse' not in modules, rel
                if isinstance(node, ast.Attribute):
                    assert ast.unparse(node) != 'sys.exit', rel
