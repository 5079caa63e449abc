import math

import pytest
import torch
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

import glamor_mm.models  # noqa: F401


def build_gla(face_channels, context_channels, **kwargs):
    return MODELS.build(
        dict(
            type='GlobalLocalAttentionNeck',
            face_channels=face_channels,
            context_channels=context_channels,
            **kwargs))


def reference_gla(neck, face_feat, context_feat):
    """Eq. 3-5 with explicit loops over samples and locations."""
    w1, b1 = neck.scorer.fc1.weight.tolist(), neck.scorer.fc1.bias.tolist()
    w2, b2 = neck.scorer.fc2.weight[0].tolist(), neck.scorer.fc2.bias.item()
    n, c, h, w = context_feat.shape
    v_fs, v_cs, attns = [], [], []
    for k in range(n):
        face = face_feat[k]
        v_f = [face[ch].mean().item() for ch in range(face.shape[0])]
        scores = {}
        for i in range(h):
            for j in range(w):
                v_ij = [context_feat[k, ch, i, j].item() for ch in range(c)]
                pair = v_f + v_ij
                hidden = [
                    max(0.0,
                        sum(wr * x for wr, x in zip(row, pair)) + bias)
                    for row, bias in zip(w1, b1)
                ]
                scores[i, j] = sum(a * x for a, x in zip(w2, hidden)) + b2
        total = sum(math.exp(s) for s in scores.values())
        attn = [[math.exp(scores[i, j]) / total for j in range(w)]
                for i in range(h)]
        v_c = [
            sum(attn[i][j] * context_feat[k, ch, i, j].item() for i in range(h)
                for j in range(w)) for ch in range(c)
        ]
        v_fs.append(v_f)
        v_cs.append(v_c)
        attns.append(attn)
    return torch.tensor(v_fs), torch.tensor(v_cs), torch.tensor(attns)


def test_equations_against_loops():
    torch.manual_seed(0)
    neck = build_gla(2, 3, hidden_channels=4)
    face = torch.randn(2, 2, 3, 3)
    context = torch.randn(2, 3, 2, 3)
    v_f, v_c, attn = neck(face, context)
    ref_v_f, ref_v_c, ref_attn = reference_gla(neck, face, context)
    assert attn.shape == (2, 2, 3)
    torch.testing.assert_close(v_f, ref_v_f)
    torch.testing.assert_close(attn, ref_attn)
    torch.testing.assert_close(v_c, ref_v_c)
    torch.testing.assert_close(attn.sum(dim=(1, 2)), torch.ones(2))


def test_one_hot_attention_picks_location():
    neck = build_gla(1, 2, hidden_channels=1)
    with torch.no_grad():
        neck.scorer.fc1.weight.copy_(torch.tensor([[0., 1., 0.]]))
        neck.scorer.fc1.bias.zero_()
        neck.scorer.fc2.weight.fill_(1.0)
        neck.scorer.fc2.bias.zero_()
    context = torch.zeros(1, 2, 3, 3)
    context[0, 0, 2, 1] = 60.0  # score 60 here, 0 elsewhere
    context[0, 1] = torch.arange(9.).view(3, 3)
    _, v_c, attn = neck(torch.randn(1, 1, 2, 2), context)
    expected = torch.zeros(1, 3, 3)
    expected[0, 2, 1] = 1.0
    torch.testing.assert_close(attn, expected)
    torch.testing.assert_close(v_c, context[:, :, 2, 1])


def test_attention_depends_on_face():
    torch.manual_seed(1)
    neck = build_gla(4, 4)
    context = torch.randn(1, 4, 3, 3)
    _, _, attn_a = neck(torch.randn(1, 4, 2, 2), context)
    _, _, attn_b = neck(torch.randn(1, 4, 2, 2) * 3, context)
    assert (attn_a - attn_b).abs().max() > 1e-4


def test_bn_option_follows_authors_code():
    """FC -> ReLU -> BN -> ReLU -> FC(1), BN over samples and locations."""
    torch.manual_seed(2)
    neck = build_gla(2, 2, hidden_channels=3, norm_cfg=dict(type='BN1d'))
    neck.eval()
    bn = neck.scorer.norm
    with torch.no_grad():
        bn.running_mean.copy_(torch.tensor([0.5, -0.2, 0.1]))
        bn.running_var.copy_(torch.tensor([2.0, 0.5, 1.5]))
        bn.weight.copy_(torch.tensor([1.5, -1.0, 0.7]))
        bn.bias.copy_(torch.tensor([0.1, 0.2, -0.3]))
    face = torch.randn(1, 2, 2, 2)
    context = torch.randn(1, 2, 2, 2)
    _, _, attn = neck(face, context)
    v_f = face.mean(dim=(2, 3))
    pairs = torch.cat(
        [v_f.expand(4, 2), context.flatten(2)[0].t()], dim=1)  # 4 x 4
    hidden = torch.relu(pairs @ neck.scorer.fc1.weight.t() +
                        neck.scorer.fc1.bias)
    hidden = (hidden - bn.running_mean) / torch.sqrt(bn.running_var + 1e-5)
    hidden = torch.relu(hidden * bn.weight + bn.bias)
    scores = hidden @ neck.scorer.fc2.weight[0] + neck.scorer.fc2.bias
    torch.testing.assert_close(attn.view(4), scores.softmax(0))
    n_params = sum(p.numel() for p in neck.parameters())
    assert n_params == (4 * 3 + 3) + 2 * 3 + (3 + 1)


def test_different_face_and_context_channels():
    neck = build_gla(512, 1280)
    v_f, v_c, attn = neck(
        torch.randn(2, 512, 3, 3), torch.randn(2, 1280, 4, 4))
    assert v_f.shape == (2, 512) and v_c.shape == (2, 1280)
    assert attn.shape == (2, 4, 4)
    with pytest.raises(ValueError, match='face_channels'):
        neck(torch.randn(2, 256, 3, 3), torch.randn(2, 1280, 4, 4))


def test_missing_streams():
    neck = build_gla(2, 2)
    face = torch.randn(1, 2, 2, 2)
    v_f, v_c, attn = neck(face, None)
    torch.testing.assert_close(v_f, face.mean(dim=(2, 3)))
    assert v_c is None and attn is None
    with pytest.raises(ValueError, match='needs the face'):
        neck(None, torch.randn(1, 2, 2, 2))
    with pytest.raises(ValueError, match='gives vectors of shape'):
        neck(face, torch.randn(1, 2))
    with pytest.raises(ValueError, match='N×C×H×W'):
        neck(face, torch.randn(1, 2, 2))


def test_clip_attention_over_space_time_is_gla_on_unrolled_time():
    """softmax_over='space_time': eq. 4-5 over all T·H·W locations, i.e. the
    image GLA on the clip map with time unrolled into the rows."""
    torch.manual_seed(3)
    neck = build_gla(3, 4, hidden_channels=5).eval()
    face = torch.randn(2, 3, 2, 2, 2)
    context = torch.randn(2, 4, 3, 2, 5)  # T=3, H=2, W=5
    v_f, v_c, attn = neck(face, context)
    assert attn.shape == (2, 3, 2, 5)
    torch.testing.assert_close(attn.sum(dim=(1, 2, 3)), torch.ones(2))
    torch.testing.assert_close(v_f, face.mean(dim=(2, 3, 4)))
    # the face vector of the clip as a 1x1 face map
    ref_v_f, ref_v_c, ref_attn = reference_gla(neck, v_f.view(2, 3, 1, 1),
                                               context.reshape(2, 4, 6, 5))
    torch.testing.assert_close(v_c, ref_v_c)
    torch.testing.assert_close(attn, ref_attn.view(2, 3, 2, 5))


def test_clip_attention_per_time_step():
    """softmax_over='space': each time step is GLA on its own frame map and
    v_c averages the time steps' vectors."""
    torch.manual_seed(4)
    neck = build_gla(3, 4, hidden_channels=5, softmax_over='space').eval()
    face = torch.randn(2, 3, 1, 2, 2)
    context = torch.randn(2, 4, 3, 2, 5)
    v_f, v_c, attn = neck(face, context)
    torch.testing.assert_close(attn.sum(dim=(2, 3)), torch.ones(2, 3))
    steps = [
        reference_gla(neck, v_f.view(2, 3, 1, 1), context[:, :, t])
        for t in range(3)
    ]
    torch.testing.assert_close(attn, torch.stack([s[2] for s in steps], 1))
    torch.testing.assert_close(v_c,
                               torch.stack([s[1] for s in steps]).mean(dim=0))
    with pytest.raises(ValueError, match='softmax_over'):
        build_gla(3, 4, softmax_over='time')

def test_uniform_init_starts_as_average_pooling_and_learns():
    """With uniform_init the first forward pass equals global average
    pooling; one SGD step then makes the attention depend on the input."""
    torch.manual_seed(3)
    neck = build_gla(4, 4, norm_cfg=dict(type='BN1d'), uniform_init=True)
    neck.init_weights()
    assert neck.scorer.fc2.weight.abs().sum() == 0
    assert neck.scorer.fc1.weight.abs().sum() > 0  # Xavier, as before
    face, context = torch.randn(2, 4, 2, 2), torch.randn(2, 4, 3, 3)
    _, v_c, attn = neck(face, context)
    torch.testing.assert_close(attn, torch.full((2, 3, 3), 1 / 9))
    torch.testing.assert_close(v_c, context.mean(dim=(2, 3)))
    optimizer = torch.optim.SGD(neck.parameters(), lr=0.5)
    (v_c[:, 0] - v_c[:, 1]).sum().backward()
    optimizer.step()
    _, _, attn = neck(face, context)
    assert attn.std(dim=(1, 2)).min() > 1e-3
    # uniform_init is the default; False keeps the Xavier (Keras) init of
    # the authors' code
    default = build_gla(4, 4)
    default.init_weights()
    assert default.scorer.fc2.weight.abs().sum() == 0
    keras = build_gla(4, 4, uniform_init=False)
    keras.init_weights()
    assert keras.scorer.fc2.weight.abs().sum() > 0


def test_uniform_init_keeps_pretrained_scorer(tmp_path):
    """A scorer loaded by init_cfg=Pretrained is not zeroed afterwards, and
    a second init_weights() call does not zero a trained scorer."""
    torch.manual_seed(0)
    trained = build_gla(4, 4, uniform_init=False)
    trained.init_weights()
    torch.save(dict(state_dict=trained.state_dict()), tmp_path / 'gla.pth')
    loaded = build_gla(
        4,
        4,
        init_cfg=dict(
            type='StrictPretrained', checkpoint=str(tmp_path / 'gla.pth')))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        loaded.init_weights()
    torch.testing.assert_close(loaded.scorer.fc2.weight,
                               trained.scorer.fc2.weight)
    fresh = build_gla(4, 4)
    fresh.init_weights()
    with torch.no_grad():
        fresh.scorer.fc2.weight.fill_(1.0)  # as if trained
    fresh.init_weights()
    assert fresh.scorer.fc2.weight.eq(1.0).all()
