import pytest
import torch
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import glamor_mm.models  # noqa: F401


def build_head(**kwargs):
    cfg = dict(
        type='FusionHead',
        num_classes=3,
        face_channels=2,
        context_channels=2,
        fusion_hidden_channels=2,
        hidden_channels=4)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def set_scorer(scorer, w1, b1, w2, b2):
    with torch.no_grad():
        scorer.fc1.weight.copy_(torch.tensor(w1))
        scorer.fc1.bias.copy_(torch.tensor(b1))
        scorer.fc2.weight.copy_(torch.tensor([w2]))
        scorer.fc2.bias.fill_(b2)


def mlp(head, x):
    fc1, fc2 = head.classifier[0], head.classifier[3]
    hidden = torch.relu(x @ fc1.weight.t() + fc1.bias)
    return hidden @ fc2.weight.t() + fc2.bias


def test_fusion_net_equations():
    """Eq. 6-8 with hand-set scorers: weights sum to 1 and scale vectors."""
    head = build_head(fusion='net')
    head.eval()
    set_scorer(head.face_scorer, [[1., 0.], [0., 1.]], [0., 0.], [1., 1.], 0.5)
    set_scorer(head.context_scorer, [[2., 0.], [0., 0.]], [-1., 0.], [1., 0.],
               0.)
    v_f = torch.tensor([[1., 2.], [-1., 0.5]])
    v_c = torch.tensor([[3., 0.], [0., 4.]])
    # s_f = relu(v_f0) + relu(v_f1) + 0.5 ; s_c = relu(2 * v_c0 - 1)
    s_f = torch.tensor([3.5, 1.0])
    s_c = torch.tensor([5.0, 0.0])
    w_f = torch.exp(s_f) / (torch.exp(s_f) + torch.exp(s_c))
    w_c = 1 - w_f
    fused, weights = head.fuse((v_f, v_c, None))
    torch.testing.assert_close(weights, torch.stack([w_f, w_c], dim=1))
    torch.testing.assert_close(weights.sum(1), torch.ones(2))
    torch.testing.assert_close(
        fused, torch.cat([v_f * w_f[:, None], v_c * w_c[:, None]], dim=1))
    torch.testing.assert_close(head((v_f, v_c, None)), mlp(head, fused))


@pytest.mark.parametrize('fusion, expected', [
    ('add', [[4., 2.]]),
    ('max', [[3., 2.]]),
    ('concat', [[1., 2., 3., 0.]]),
])
def test_simple_fusions(fusion, expected):
    head = build_head(fusion=fusion)
    head.eval()
    v_f, v_c = torch.tensor([[1., 2.]]), torch.tensor([[3., 0.]])
    fused, weights = head.fuse((v_f, v_c, None))
    torch.testing.assert_close(fused, torch.tensor(expected))
    assert weights is None
    torch.testing.assert_close(head((v_f, v_c, None)), mlp(head, fused))
    assert not hasattr(head, 'face_scorer')


def test_add_max_need_equal_dims():
    for fusion in ('add', 'max'):
        with pytest.raises(ValueError, match='equal'):
            build_head(fusion=fusion, context_channels=3)
    assert build_head(
        fusion='concat', context_channels=3).classifier[0].in_features == 5


def test_single_branches_ignore_the_other_vector():
    torch.manual_seed(0)
    v_f, v_c = torch.randn(2, 2), torch.randn(2, 2)
    face_only = build_head(branches=('face', ))
    face_only.eval()
    out = face_only((v_f, v_c, None))
    torch.testing.assert_close(out, face_only((v_f, v_c * 10, None)))
    torch.testing.assert_close(out, face_only((v_f, None, None)))
    torch.testing.assert_close(out, mlp(face_only, v_f))

    # context only (Table 4 ii/iii): v_f may exist (GLA guidance) but is
    # not fused
    context_only = build_head(branches=('context', ), context_channels=3)
    context_only.eval()
    v_c3 = torch.randn(2, 3)
    out = context_only((v_f, v_c3, None))
    torch.testing.assert_close(out, context_only((v_f * 7, v_c3, None)))
    torch.testing.assert_close(out, mlp(context_only, v_c3))
    with pytest.raises(ValueError, match='context branch'):
        context_only((v_f, None, None))


def test_bad_arguments():
    with pytest.raises(ValueError, match='fusion'):
        build_head(fusion='mul')
    with pytest.raises(ValueError, match='branches'):
        build_head(branches=())
    with pytest.raises(ValueError, match='branches'):
        build_head(branches=('face', 'scene'))


def test_loss_and_predict_report_fusion_weights():
    torch.manual_seed(0)
    head = build_head(fusion='net')
    v_f, v_c = torch.randn(4, 2), torch.randn(4, 2)
    samples = [DataSample().set_gt_label(i % 3) for i in range(4)]
    losses = head.loss((v_f, v_c, None), samples)
    _, weights = head.fuse((v_f, v_c, None))
    assert set(losses) == {'loss', 'fusion_w_face', 'fusion_w_context'}
    torch.testing.assert_close(losses['fusion_w_face'], weights[:, 0].mean())
    torch.testing.assert_close(
        losses['fusion_w_face'] + losses['fusion_w_context'], torch.tensor(1.))
    assert not losses['fusion_w_face'].requires_grad

    head.eval()
    predictions = head.predict((v_f, v_c, None))
    logits = head((v_f, v_c, None))
    for k, sample in enumerate(predictions):
        torch.testing.assert_close(sample.pred_score, logits[k].softmax(0))
        assert sample.pred_label.item() == logits[k].argmax().item()
        torch.testing.assert_close(sample.fusion_weights, weights[k])

    add_losses = build_head(fusion='add').loss((v_f, v_c, None), samples)
    assert set(add_losses) == {'loss'}


@pytest.mark.parametrize('fusion', ['net', 'concat'])
def test_vector_norm_normalises_each_branch_before_fusion(fusion):
    """vector_norm_cfg=BN1d: eval-mode BN with set statistics on each vector,
    then the same fusion as without it (the PyTorch CAER-Net-S face_bn /
    context_bn)."""
    torch.manual_seed(0)
    head = build_head(fusion=fusion, vector_norm_cfg=dict(type='BN1d'))
    plain = build_head(fusion=fusion)
    plain.load_state_dict(
        {k: v
         for k, v in head.state_dict().items()
         if not k.startswith('vector_norms.')})
    stats = dict(
        face=([1., -2.], [4., 0.25], [2., 1.], [0.5, -1.]),
        context=([0., 3.], [1., 9.], [-1., 0.5], [0., 2.]))
    with torch.no_grad():
        for branch, (mean, var, weight, bias) in stats.items():
            norm = head.vector_norms[branch]
            norm.running_mean.copy_(torch.tensor(mean))
            norm.running_var.copy_(torch.tensor(var))
            norm.weight.copy_(torch.tensor(weight))
            norm.bias.copy_(torch.tensor(bias))
    head.eval()
    plain.eval()
    v_f = torch.tensor([[3., -1.], [1., 0.]])
    v_c = torch.tensor([[1., 0.], [-2., 6.]])
    eps = 1e-5
    # (v - mean) / sqrt(var + eps) * weight + bias, element by element
    n_f = torch.tensor([[(3 - 1) / (4 + eps)**.5 * 2 + .5,
                         (-1 + 2) / (.25 + eps)**.5 * 1 - 1],
                        [(1 - 1) / (4 + eps)**.5 * 2 + .5,
                         (0 + 2) / (.25 + eps)**.5 * 1 - 1]])
    n_c = torch.tensor([[(1 - 0) / (1 + eps)**.5 * -1 + 0,
                         (0 - 3) / (9 + eps)**.5 * .5 + 2],
                        [(-2 - 0) / (1 + eps)**.5 * -1 + 0,
                         (6 - 3) / (9 + eps)**.5 * .5 + 2]])
    fused, weights = head.fuse((v_f, v_c, None))
    fused_plain, weights_plain = plain.fuse((n_f, n_c, None))
    torch.testing.assert_close(fused, fused_plain)
    if fusion == 'net':
        torch.testing.assert_close(weights, weights_plain)
        torch.testing.assert_close(
            fused, torch.cat([n_f * weights[:, :1], n_c * weights[:, 1:]], 1))
    else:
        torch.testing.assert_close(fused, torch.cat([n_f, n_c], 1))
    torch.testing.assert_close(head((v_f, v_c, None)), mlp(head, fused))


def test_vector_norm_off_by_default_and_per_used_branch():
    assert len(build_head().vector_norms) == 0
    assert 'vector_norms.face.weight' not in build_head().state_dict()
    face_only = build_head(
        branches=('face', ), vector_norm_cfg=dict(type='BN1d'))
    assert set(face_only.vector_norms) == {'face'}
    face_only.train()
    out = face_only.pre_logits((torch.tensor([[1., 2.], [3., 6.]]), None,
                                None))
    # training-mode BN: batch statistics, unit weight, zero bias
    torch.testing.assert_close(
        out, torch.tensor([[-1., -1.], [1., 1.]]), atol=1e-4, rtol=0)


def test_uniform_init_starts_at_equal_fusion_weights_and_learns():
    """With uniform_init every sample starts at w_f = w_c = 0.5; one SGD
    step then makes the weights depend on the vectors."""
    torch.manual_seed(0)
    head = build_head()  # uniform_init is the default
    head.init_weights()
    assert head.classifier[0].weight.abs().sum() > 0  # Xavier, as before
    v_f, v_c = torch.randn(5, 2), torch.randn(5, 2)
    fused, weights = head.fuse((v_f, v_c))
    torch.testing.assert_close(weights, torch.full((5, 2), 0.5))
    torch.testing.assert_close(fused, torch.cat([v_f, v_c], dim=1) / 2)
    optimizer = torch.optim.SGD(head.parameters(), lr=1.0)
    head.fuse((v_f, v_c))[1][:, 0].pow(2).sum().backward()
    optimizer.step()
    assert head.fuse((v_f, v_c))[1][:, 0].std() > 1e-3
    random = build_head(uniform_init=False)
    random.init_weights()
    assert random.fuse((v_f, v_c))[1][:, 0].std() > 1e-3
    # nothing to start equal without two branches and the fusion network
    for kwargs in (dict(fusion='add'), dict(branches=('face', ))):
        build_head(uniform_init=True, **kwargs).init_weights()


def test_uniform_init_keeps_pretrained_scorers(tmp_path):
    """Fusion scorers loaded by init_cfg=Pretrained are not zeroed."""
    torch.manual_seed(0)
    trained = build_head(uniform_init=False)
    trained.init_weights()
    torch.save(dict(state_dict=trained.state_dict()), tmp_path / 'head.pth')
    loaded = build_head(
        init_cfg=dict(
            type='StrictPretrained', checkpoint=str(tmp_path / 'head.pth')))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        loaded.init_weights()
    for name in ('face_scorer', 'context_scorer'):
        torch.testing.assert_close(
            getattr(loaded, name).fc2.weight,
            getattr(trained, name).fc2.weight)
