import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

import glamor_mm.models  # noqa: F401


def build_ca(channels=4, hidden=3):
    return MODELS.build(
        dict(
            type='ContextAttentionNeck',
            context_channels=channels,
            hidden_channels=hidden))


def test_equations():
    """Conv-BN-ReLU x2, spatial softmax (eq. 3), weighted average (eq. 4)."""
    torch.manual_seed(0)
    neck = build_ca().eval()
    context = torch.randn(2, 4, 3, 4)
    face = torch.randn(2, 5, 2, 2)
    v_f, v_c, attn = neck(face, context)

    x = context
    for layer in neck.attention:
        bn = layer.bn
        x = F.conv2d(x, layer.conv.weight, padding=1)
        x = (x - bn.running_mean.view(1, -1, 1, 1)
             ) / torch.sqrt(bn.running_var.view(1, -1, 1, 1) + bn.eps)
        x = torch.relu(x * bn.weight.view(1, -1, 1, 1) +
                       bn.bias.view(1, -1, 1, 1))
    scores = x.view(2, 12)
    expected_attn = torch.exp(scores) / torch.exp(scores).sum(1, keepdim=True)
    torch.testing.assert_close(attn, expected_attn.view(2, 3, 4))
    torch.testing.assert_close(attn.sum(dim=(1, 2)), torch.ones(2))
    expected_v_c = torch.stack([
        sum(attn[k, i, j] * context[k, :, i, j] for i in range(3)
            for j in range(4)) / 12 for k in range(2)
    ])
    torch.testing.assert_close(v_c, expected_v_c)
    torch.testing.assert_close(v_f, face.mean(dim=(2, 3)))
    # conv 4->128-like layer without bias (BN follows), BN affine
    n_params = sum(p.numel() for p in neck.parameters())
    assert n_params == (9 * 4 * 3 + 2 * 3) + (9 * 3 * 1 + 2 * 1)


def test_attention_ignores_face():
    torch.manual_seed(1)
    neck = build_ca().eval()
    context = torch.randn(1, 4, 3, 3)
    _, v_c_a, attn_a = neck(torch.randn(1, 4, 2, 2), context)
    _, v_c_b, attn_b = neck(torch.randn(1, 4, 2, 2) * 5, context)
    torch.testing.assert_close(attn_a, attn_b)
    torch.testing.assert_close(v_c_a, v_c_b)
    # no face stream needed at all
    _, v_c_c, attn_c = neck(None, context)
    torch.testing.assert_close(attn_a, attn_c)


def test_wrong_channels():
    neck = build_ca(channels=4)
    with pytest.raises(ValueError, match='context_channels'):
        neck(None, torch.randn(1, 8, 3, 3))


def build_ca3d(**kwargs):
    return MODELS.build(
        dict(
            type='ContextAttentionNeck',
            context_channels=4,
            hidden_channels=3,
            conv_cfg=dict(type='Conv3d'),
            norm_cfg=dict(type='BN3d'),
            **kwargs))


def test_clip_attention_softmax_per_time_step():
    """CAER-Net eq. 3 on clips: 3x3x3 convs, a spatial softmax for EACH time
    step, attended map averaged over T·H·W (eq. 4 + average pool)."""
    torch.manual_seed(2)
    neck = build_ca3d().eval()
    assert neck.attention[0].conv.weight.shape == (3, 4, 3, 3, 3)
    context = torch.randn(2, 4, 3, 2, 5)  # T=3, H=2, W=5
    face = torch.randn(2, 6, 2, 1, 1)
    v_f, v_c, attn = neck(face, context)
    assert attn.shape == (2, 3, 2, 5)
    torch.testing.assert_close(attn.sum(dim=(2, 3)), torch.ones(2, 3))
    scores = neck.attention(context)[:, 0]  # the two conv-BN-ReLU layers
    for k in range(2):
        for t in range(3):
            e = torch.exp(scores[k, t])
            torch.testing.assert_close(attn[k, t], e / e.sum())
    expected_v_c = torch.stack([
        sum(attn[k, t, i, j] * context[k, :, t, i, j] for t in range(3)
            for i in range(2) for j in range(5)) / 30 for k in range(2)
    ])
    torch.testing.assert_close(v_c, expected_v_c)
    torch.testing.assert_close(v_f, face.mean(dim=(2, 3, 4)))


def test_clip_attention_space_time_option_and_errors():
    torch.manual_seed(3)
    neck = build_ca3d(softmax_over='space_time').eval()
    context = torch.randn(1, 4, 3, 2, 2)
    _, _, attn = neck(None, context)
    torch.testing.assert_close(attn.sum(), torch.tensor(1.))
    e = torch.exp(neck.attention(context)[0, 0])
    torch.testing.assert_close(attn[0], e / e.sum())
    with pytest.raises(ValueError, match='Conv3d'):
        build_ca()(None, torch.randn(1, 4, 3, 2, 2))  # 2D convs, clip map
    with pytest.raises(ValueError, match='vectors'):
        neck(None, torch.randn(1, 4))
