"""Every tool, demo and API loads checkpoints through glamor_mm's checked
loader: a checkpoint of another architecture is an error everywhere, never
a model, an ONNX file or a figure made of random weights."""
import ast
import importlib.util
import os
import os.path as osp
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

from glamor_mm.checkpoint import CheckpointMismatchError

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
SOURCES = ('glamor_mm', 'tools', 'demo')
MOBILENET_CFG = osp.join(ROOT, 'configs/_base_/models/glamor_mobilenetv2.py')

# Functions that read a checkpoint file or copy weights into a model without
# the checks of glamor_mm.checkpoint, and the only modules that
# may call them (they are the checked loader, or feed it).
CHECKPOINT_READERS = {
    # torch's reader: only inside the safe, integrity-checked file loaders
    'torch.load': {
        'glamor_mm/checkpoint/safe_unpickle.py',
        # weights_only, every foreign global an inert stand-in
        'glamor_mm/checkpoint/conversion.py'
    },
    'load_from_local': {'glamor_mm/checkpoint/loaders.py'},
    'load_from_http': {'glamor_mm/checkpoint/loaders.py'},
    # MMEngine's non-strict loaders: only the checked loader
    '_load_checkpoint': {'glamor_mm/checkpoint/state_dict_check.py'},
    'load_checkpoint': {
        # a TensorFlow checkpoint, checked by its converter
        'tools/model_converters/glamor_tf_to_mmpretrain.py',
        # MMEngine's CheckpointLoader for the schemes other than a local
        # file and http(s) (open-mmlab://, s3://, ...)
        'glamor_mm/checkpoint/loaders.py'
    },
    # GlamorRunner.load_checkpoint, after StrictLoadHook's check
    '_load_checkpoint_to_model': {'glamor_mm/engine/runner.py'},
    'load_state_dict': {
        'glamor_mm/checkpoint/state_dict_check.py',
        'glamor_mm/models/utils/pretrained_init.py',
        # strict=True, after state_dict_problems()
        'glamor_mm/checkpoint/conversion.py'
    },
    # MMPretrain's and MMDet's builders load non-strictly
    'init_model': set(),
    'get_model': {'glamor_mm/checkpoint/state_dict_check.py'},
    'init_detector': {'glamor_mm/apis/face_detection.py'},
}


def called_name(node: ast.Call) -> str:
    """``torch.load`` for ``torch.load(...)``, ``name`` for ``x.name(...)``
    or ``name(...)``."""
    func = node.func
    if isinstance(func, ast.Attribute):
        if isinstance(func.value, ast.Name) and func.value.id == 'torch':
            return f'torch.{func.attr}'
        return func.attr
    return func.id if isinstance(func, ast.Name) else ''


def checkpoint_reads(path: str) -> set:
    """The checkpoint readers a source file calls or imports."""
    found = set()
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.Call):
            found.add(called_name(node))
        elif isinstance(node, ast.ImportFrom):
            found.update(alias.name for alias in node.names)
    return found & set(CHECKPOINT_READERS)


def source_files() -> list:
    files = []
    for top in SOURCES:
        for folder, _, names in os.walk(osp.join(ROOT, top)):
            files += [
                osp.relpath(osp.join(folder, name), ROOT).replace(os.sep, '/')
                for name in names if name.endswith('.py')
            ]
    return sorted(files)


def test_no_source_loads_a_checkpoint_around_the_checked_loader():
    files = source_files()
    assert 'tools/deployment/pytorch2onnx.py' in files
    wrong = [
        f'{path} uses {name}' for path in files
        for name in sorted(checkpoint_reads(osp.join(ROOT, path)))
        if path not in CHECKPOINT_READERS[name]
    ]
    assert not wrong, (
        'load checkpoints with glamor_mm.checkpoint.'
        'load_checkpoint_checked / init_model_checked: ' + '; '.join(wrong))


def test_the_walk_sees_the_ways_around_it(tmp_path):
    """The check finds each way the tools used to load non-strictly."""
    path = tmp_path / 'tool.py'
    path.write_text('from mmpretrain.apis import init_model\n'
                    'import torch\n'
                    'model = get_model(cfg, ckpt)\n'
                    'sd = torch.load(ckpt)\n'
                    'model.load_state_dict(sd, strict=False)\n')
    assert checkpoint_reads(str(path)) == {
        'init_model', 'get_model', 'torch.load', 'load_state_dict'
    }


def other_architecture_checkpoint(path) -> str:
    """A checkpoint of the MobileNetV2 GLAMOR-Net (not the toy config's)."""
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(Config.fromfile(MOBILENET_CFG).model)
    torch.save(dict(state_dict=model.state_dict()), path)
    return str(path)


def load_tool(relpath: str):
    spec = importlib.util.spec_from_file_location(
        osp.basename(relpath)[:-3], osp.join(ROOT, relpath))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


def test_pytorch2onnx_refuses_another_architecture(toy_config, tmp_path,
                                                   monkeypatch):
    tool = load_tool('tools/deployment/pytorch2onnx.py')
    ckpt = other_architecture_checkpoint(tmp_path / 'mnv2.pth')
    out = tmp_path / 'model.onnx'
    monkeypatch.setattr(
        sys, 'argv', ['pytorch2onnx.py', toy_config, ckpt, '--out',
                      str(out)])
    with pytest.raises(CheckpointMismatchError, match='mnv2.pth do not fit'):
        tool.main()
    assert not out.exists()


def test_vis_attention_refuses_another_architecture(toy_config, tmp_path):
    tool = load_tool('tools/visualization/vis_attention.py')
    ckpt = other_architecture_checkpoint(tmp_path / 'mnv2.pth')
    with pytest.raises(CheckpointMismatchError) as err:
        tool.AttentionModel(Config.fromfile(toy_config), ckpt, 'GLAMOR-Net')
    assert ' missing: face_backbone.blocks.0.conv.weight' in str(err.value)


def test_face_detector_weights_are_checked(tmp_path):
    from glamor_mm.apis import init_face_detector
    config = osp.join(ROOT, 'configs/face_detectors/retinanet_r50_fpn_'
                      'widerface.py')
    path = str(tmp_path / 'detector.pth')
    torch.save(dict(state_dict={'backbone.conv1.weight': torch.zeros(1)}),
               path)
    with pytest.raises(CheckpointMismatchError) as err:
        init_face_detector(config, path)
    message = str(err.value)
    assert f'The weights in {path} do not fit RetinaNet' in message
    assert 'backbone.conv1.weight (1,) (model: (64, 3, 7, 7))' in message
