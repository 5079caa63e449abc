import importlib.util
import os.path as osp

import torch
from mmengine.config import Config
from mmpretrain.registry import MODELS

ROOT = osp.join(osp.dirname(__file__), '..', '..')
TOOL = osp.join(ROOT, 'tools', 'analysis_tools', 'model_complexity.py')
CONFIG = osp.join(ROOT, 'configs', '_base_', 'models', 'glamor_original.py')


def load_tool():
    spec = importlib.util.spec_from_file_location('model_complexity', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def conv_macs(size, widths=(32, 64, 128, 256, 256)):
    """Multiply-adds of the 3x3 convs of the paper encoder at size x size."""
    total, c_in = 0, 3
    for i, width in enumerate(widths):
        total += size * size * 9 * c_in * width
        c_in = width
        if i < len(widths) - 1:
            size //= 2
    return total


def test_analyze_original(capsys):
    torch.set_num_threads(1)
    tool = load_tool()
    model = MODELS.build(Config.fromfile(CONFIG).model)
    result = tool.analyze(model)
    assert result['total']['params'] == 2_158_602
    assert result['total']['params'] + result['total']['bn_stats'] \
        == 2_161_802
    assert result['face_backbone']['params'] == 979_968
    for part, size in (('face_backbone', 96), ('context_backbone', 112)):
        # convs dominate; BN/ReLU/pooling add < 2 %
        assert conv_macs(
            size) <= result[part]['flops'] <= 1.02 * conv_macs(size)
    assert result['total']['flops'] == sum(result[p]['flops']
                                           for p in tool.COMPONENTS)

    tool.main([CONFIG, '--cfg-options', 'model.head.fusion=concat'])
    out = capsys.readouterr().out
    # concat fusion drops the two FC(256->128)->FC(1) weight scorers
    params = 2_158_602 - 2 * (256 * 128 + 128 + 128 + 1)
    assert f'| glamor_original | {params:,} | {params + 3200:,} |' in out
