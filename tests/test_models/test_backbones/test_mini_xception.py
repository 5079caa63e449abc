"""MiniXception, its head, and its use as a pretrained face encoder."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

import glamor_mm.models  # noqa: F401
from glamor_mm.models.backbones.mini_xception import SamePadMaxPool2d

CONFIGS = osp.join(osp.dirname(__file__), '..', '..', '..', 'configs')
FACE_ONLY = dict(
    type='ImageClassifier',
    backbone=dict(type='MiniXception'),
    head=dict(type='ConvPoolClsHead', num_classes=7, in_channels=128))


def build(cfg):
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(cfg)


def test_shapes_and_the_keras_parameter_count():
    model = build(FACE_ONLY)
    (feat, ) = model.backbone(torch.zeros(2, 1, 64, 64))
    assert feat.shape == (2, 128, 4, 4)  # 60 -> 30 -> 15 -> 8 -> 4
    assert model(torch.zeros(2, 1, 64, 64), mode='tensor').shape == (2, 7)
    trainable = sum(p.numel() for p in model.parameters())
    statistics = sum(b.numel() for name, b in model.named_buffers()
                     if 'running' in name)
    # Keras counts the BN moving statistics among its 58,423 parameters
    assert (trainable, trainable + statistics) == (56_951, 58_423)
    outs = build(dict(type='MiniXception', out_indices=(0, 2, -1)))(
        torch.zeros(1, 1, 48, 48))
    assert [o.shape[1:] for o in outs] == [(16, 22, 22), (64, 6, 6),
                                           (128, 3, 3)]
    with pytest.raises(ValueError, match='out_indices'):
        build(dict(type='MiniXception', out_indices=(4, )))


def tf_same_max_pool(x, k=3, s=2):
    """Reference of TF's max-pool 'same' on (H, W): windows start at
    i * s - pad_before, pad_before = total // 2."""
    out = []
    for size in x.shape:
        n = -(-size // s)
        total = max((n - 1) * s + k - size, 0)
        out.append((n, total // 2))
    (nh, th), (nw, tw) = out
    y = np.empty((nh, nw), x.dtype)
    for i in range(nh):
        for j in range(nw):
            r0, c0 = i * s - th, j * s - tw
            y[i, j] = x[max(r0, 0):r0 + k, max(c0, 0):c0 + k].max()
    return y


@pytest.mark.parametrize('size', [60, 15, 8, 7])
def test_pool_pads_like_tensorflow(size):
    x = torch.randn(1, 1, size, size + 1)
    ours = SamePadMaxPool2d(3, 2)(x)[0, 0].numpy()
    np.testing.assert_array_equal(ours, tf_same_max_pool(x[0, 0].numpy()))
    if size % 2 == 0:  # symmetric padding pools other windows
        torch_pool = torch.nn.MaxPool2d(3, 2, padding=1)(x)[0, 0, :, :-1]
        assert not np.array_equal(torch_pool.numpy(), ours[:, :-1])


def test_frozen_stages_stay_frozen():
    backbone = build(dict(type='MiniXception', frozen_stages=1))
    backbone.train()
    assert not backbone.stem[0].bn.training
    assert not backbone.stages[0].shortcut.bn.training
    assert backbone.stages[1].shortcut.bn.training
    assert not any(p.requires_grad for p in backbone.stages[0].parameters())
    assert all(p.requires_grad for p in backbone.stages[1].parameters())
    with pytest.raises(ValueError, match='frozen_stages'):
        build(dict(type='MiniXception', frozen_stages=5))


def test_head_convolves_then_pools():
    head = build(dict(type='ConvPoolClsHead', num_classes=3, in_channels=4))
    feat = torch.randn(2, 4, 4, 4)
    logits = head((feat, ))
    expected = torch.nn.functional.conv2d(
        feat, head.conv.weight, head.conv.bias, padding=1).mean((2, 3))
    torch.testing.assert_close(logits, expected)
    # not a linear layer on the pooled vector: the borders see zeros
    pooled_first = torch.nn.functional.conv2d(
        feat.mean((2, 3), keepdim=True), head.conv.weight[:, :, 1:2, 1:2],
        head.conv.bias).flatten(1)
    assert not torch.allclose(logits, pooled_first, atol=1e-3)
    for bad, match in ((dict(num_classes=0), 'num_classes'),
                       (dict(kernel_size=2), 'odd')):
        with pytest.raises(ValueError, match=match):
            build(
                dict(
                    dict(type='ConvPoolClsHead', num_classes=3, in_channels=4),
                    **bad))


def test_two_view_config_starts_from_the_face_model(tmp_path):
    """The face encoder of the two-view config loads the ``backbone.``
    tensors of a face-only checkpoint (Pretrained init with a prefix)."""
    face_only = build(FACE_ONLY)
    for module in face_only.modules():  # not the initial BN statistics
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-1, 1)
    path = str(tmp_path / 'fer.pth')
    torch.save(dict(state_dict=face_only.state_dict()), path)
    cfg = Config.fromfile(
        osp.join(CONFIGS, 'glamor',
                 'glamor_mini-xception-fer-face_1xb32-60e_caers.py'))
    cfg.model.face_backbone.init_cfg.checkpoint = path
    model = build(cfg.model)
    model.init_weights()
    ours = model.face_backbone.state_dict()
    assert ours.keys() == {
        k[len('backbone.'):]
        for k in face_only.state_dict() if k.startswith('backbone.')
    }
    for key, value in face_only.backbone.state_dict().items():
        assert torch.equal(ours[key], value), key
