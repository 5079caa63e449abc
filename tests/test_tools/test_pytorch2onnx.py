import importlib.util
import os.path as osp
import sys

import pytest
import torch


ROOT = osp.join(osp.dirname(__file__), '..', '..')


def test_export_is_checked_against_pytorch(toy_config, tiny_toy_opts,
                                           tmp_path, monkeypatch, capsys):
    from mmengine.config import Config
    from mmpretrain.registry import MODELS

    from glamor_mm.datasets import CAER_CLASSES
    from glamor_mm.deployment import OnnxRuntimeClassifier
    path = osp.join(ROOT, 'tools', 'deployment', 'pytorch2onnx.py')
    spec = importlib.util.spec_from_file_location('pytorch2onnx', path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    argv = ['pytorch2onnx.py', toy_config, str(tmp_path / 'model.pth'),
            '--out', str(tmp_path / 'model.onnx'), '--cfg-options'
            ] + tiny_toy_opts
    monkeypatch.setattr(sys, 'argv', argv)
    args = tool.parse_args()
    cfg = Config.fromfile(toy_config)
    cfg.merge_from_dict(args.cfg_options)
    model = MODELS.build(cfg.model)
    torch.save(
        dict(
            state_dict=model.state_dict(),
            meta=dict(dataset_meta=dict(classes=CAER_CLASSES))),
        args.checkpoint)

    diffs = tool.main()
    assert set(diffs) == {'scores', 'attention', 'fusion_weights'}
    assert max(diffs.values()) <= 1e-5
    out = capsys.readouterr().out
    assert 'outputs scores, attention, fusion_weights' in out
    assert 'max |ONNX Runtime - PyTorch| of attention' in out
    runtime = OnnxRuntimeClassifier(args.out)
    assert runtime.dataset_meta['classes'] == tuple(CAER_CLASSES)

    monkeypatch.setattr(sys, 'argv', argv + ['--tolerance', '0'])
    with pytest.raises(RuntimeError, match='differs from PyTorch'):
        tool.main()
