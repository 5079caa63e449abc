"""GlamorInferencer and the demos refuse a checkpoint that does not fit
the config, unless asked to load it partially; without a checkpoint the
demos say loudly that the weights are random."""
import argparse
import importlib.util
import os.path as osp
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

from glamor_mm.apis import GlamorInferencer
from glamor_mm.checkpoint import CheckpointMismatchError


ROOT = osp.join(osp.dirname(__file__), '..', '..')
MODEL_CFG = osp.join(ROOT, 'configs/glamor/glamor_original_1xb32-12e_toy.py')
MOBILENET_CFG = osp.join(ROOT, 'configs/_base_/models/glamor_mobilenetv2.py')


def save_checkpoint(path, model_cfg):
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(model_cfg)
    torch.save(
        dict(
            state_dict=model.state_dict(),
            meta=dict(dataset_meta=dict(classes=list('abcde')))), path)
    return str(path)


def test_head_of_another_size_fails_unless_partial(tmp_path):
    cfg = Config.fromfile(MODEL_CFG)
    path = save_checkpoint(
        tmp_path / 'five.pth',
        dict(cfg.model, head=dict(cfg.model.head, num_classes=5)))
    with pytest.raises(CheckpointMismatchError) as err:
        GlamorInferencer(MODEL_CFG, path)
    message = str(err.value)
    assert path in message and '2 of the wrong shape' in message
    assert 'head.classifier.3.weight (5, 128) (model: (7, 128))' in message
    assert 'partial_load=True' in message and '--partial-load' in message
    inferencer = GlamorInferencer(MODEL_CFG, path, partial_load=True)
    assert inferencer.classes == list('abcde')  # the checkpoint's meta


def test_checkpoint_of_another_architecture_fails(tmp_path):
    path = save_checkpoint(tmp_path / 'mnv2.pth',
                           Config.fromfile(MOBILENET_CFG).model)
    with pytest.raises(CheckpointMismatchError) as err:
        GlamorInferencer(MODEL_CFG, path)
    message = str(err.value)
    assert ' missing: face_backbone.blocks.0.conv.weight' in message
    assert ' unexpected: face_backbone.conv1.conv.weight' in message


def test_demo_without_checkpoint_warns_loudly(capsys):
    spec = importlib.util.spec_from_file_location(
        'inferencer_args', osp.join(ROOT, 'demo', 'inferencer_args.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    parser = argparse.ArgumentParser()
    module.add_inferencer_args(parser)
    args = parser.parse_args([MODEL_CFG])
    assert args.checkpoint is None and not args.partial_load
    module.build_inferencer(args)
    assert 'the classifier has RANDOM weights' in capsys.readouterr().err
    sys.modules.pop('inferencer_args', None)
