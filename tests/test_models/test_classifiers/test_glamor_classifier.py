import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import glamor_mm.models  # noqa: F401

TINY_ENCODER = dict(type='GlamorEncoder', widths=(4, 8), pools=(True, True))


def build_model(neck='GlobalLocalAttentionNeck', **head_kwargs):
    neck_cfg = dict(type=neck)
    if neck == 'GlobalLocalAttentionNeck':
        neck_cfg.update(face_channels=8, context_channels=8, hidden_channels=4)
    elif neck == 'ContextAttentionNeck':
        neck_cfg.update(context_channels=8, hidden_channels=4)
    head = dict(
        type='FusionHead',
        num_classes=3,
        face_channels=8,
        context_channels=8,
        fusion_hidden_channels=4,
        hidden_channels=4)
    head.update(head_kwargs)
    return MODELS.build(
        dict(
            type='GlamorClassifier',
            face_backbone=TINY_ENCODER,
            context_backbone=TINY_ENCODER,
            neck=neck_cfg,
            head=head))


def tiny_inputs(n=2, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return dict(
        face=torch.randn(n, 3, 8, 8, generator=gen),
        context=torch.randn(n, 3, 12, 16, generator=gen))


def samples(n=2):
    return [DataSample().set_gt_label(k % 3) for k in range(n)]


def test_modes():
    torch.manual_seed(0)
    model = build_model()
    inputs = tiny_inputs()
    torch.manual_seed(1)
    losses = model(inputs, samples(), mode='loss')
    assert set(losses) == {'loss', 'fusion_w_face', 'fusion_w_context'}
    # the loss is the cross-entropy of the logits (train mode: same batch
    # statistics, same dropout draws), the logged weights the batch means
    # of the head's
    torch.manual_seed(1)
    train_logits = model(inputs, mode='tensor')
    torch.testing.assert_close(
        losses['loss'], F.cross_entropy(train_logits, torch.tensor([0, 1])))
    train_weights = model.head.fuse(model.extract_feat(inputs))[1]
    torch.testing.assert_close(losses['fusion_w_face'],
                               train_weights[:, 0].mean())

    model.eval()
    logits = model(inputs, mode='tensor')
    assert logits.shape == (2, 3)
    v_f, v_c, attn = model.extract_feat(inputs)
    assert v_f.shape == (2, 8) and v_c.shape == (2, 8)
    assert attn.shape == (2, 3, 4)
    predictions = model(inputs, samples(), mode='predict')
    for k, sample in enumerate(predictions):
        torch.testing.assert_close(sample.pred_score, logits[k].softmax(0))
        torch.testing.assert_close(sample.attention, attn[k])
        torch.testing.assert_close(sample.fusion_weights,
                                   model.head.fuse((v_f, v_c))[1][k])
        assert sample.gt_label.item() == k % 3

    with pytest.raises(RuntimeError, match='invalid mode'):
        model(inputs, mode='logits')
    with pytest.raises(TypeError, match='dict'):
        model(inputs['face'], mode='tensor')


@pytest.mark.parametrize('fusion', ['net', 'add', 'max', 'concat'])
def test_gradients_reach_both_encoders(fusion):
    torch.manual_seed(0)
    model = build_model(fusion=fusion)
    model(tiny_inputs(4), samples(4), mode='loss')['loss'].backward()
    for backbone in (model.face_backbone, model.context_backbone):
        grad = backbone.blocks[0].conv.weight.grad
        assert grad is not None and grad.abs().sum() > 0


def test_face_only_ignores_and_skips_context():
    torch.manual_seed(0)
    model = build_model(
        neck='GlobalAveragePoolingTwoViewNeck', branches=('face', ))
    assert model.context_backbone is None
    model.eval()
    inputs = tiny_inputs()
    out = model(inputs)
    changed = dict(inputs, context=inputs['context'] * 5 + 1)
    torch.testing.assert_close(out, model(changed))
    torch.testing.assert_close(out, model(dict(face=inputs['face'])))
    assert model.extract_feat(inputs)[1] is None


def test_context_only_ignores_and_skips_face():
    torch.manual_seed(0)
    for neck in ('GlobalAveragePoolingTwoViewNeck', 'ContextAttentionNeck'):
        model = build_model(neck=neck, branches=('context', ))
        assert model.face_backbone is None
        model.eval()
        inputs = tiny_inputs()
        out = model(inputs)
        torch.testing.assert_close(
            out, model(dict(inputs, face=inputs['face'] * 5 + 1)))


def test_context_only_with_gla_uses_face_for_attention_only():
    """Table 4 ii/iii: the face guides GLA but does not enter the fusion."""
    torch.manual_seed(0)
    model = build_model(branches=('context', ))
    assert model.face_backbone is not None
    model.eval()
    inputs = tiny_inputs()
    other = dict(inputs, face=inputs['face'] * 5 + 1)
    v_f, v_c, attn = model.extract_feat(inputs)
    _, _, attn_other = model.extract_feat(other)
    assert (attn - attn_other).abs().max() > 1e-6
    # the head output only depends on v_c
    torch.testing.assert_close(
        model.head((v_f, v_c, attn)), model.head((v_f * 0, v_c, None)))
    with pytest.raises(ValueError, match="'face' input"):
        model(dict(context=inputs['context']))


@pytest.mark.parametrize('neck', [
    'GlobalLocalAttentionNeck', 'ContextAttentionNeck',
    'GlobalAveragePoolingTwoViewNeck'
])
def test_predict_faces_runs_context_once(neck):
    torch.manual_seed(0)
    model = build_model(neck=neck)
    model.eval()
    calls = []
    model.context_backbone.register_forward_hook(
        lambda module, args, out: calls.append(args[0].shape[0]))
    gen = torch.Generator().manual_seed(3)
    faces = torch.randn(3, 3, 8, 8, generator=gen)
    context = torch.randn(1, 3, 12, 16, generator=gen)
    with torch.no_grad():
        shared = model.predict_faces(faces, context)
    assert calls == [1]
    assert len(shared) == 3
    for k in range(3):
        with torch.no_grad():
            (single, ) = model.predict(
                dict(face=faces[k:k + 1], context=context))
        torch.testing.assert_close(shared[k].pred_score, single.pred_score)
        torch.testing.assert_close(shared[k].fusion_weights,
                                   single.fusion_weights)
        if neck == 'GlobalAveragePoolingTwoViewNeck':
            assert 'attention' not in shared[k]
        else:
            torch.testing.assert_close(shared[k].attention, single.attention)


def test_predict_faces_bad_input():
    model = build_model()
    model.eval()
    with pytest.raises(ValueError, match='need 1 context'):
        model.predict_faces(torch.randn(2, 3, 8, 8), torch.randn(3, 3, 12, 16))
    with pytest.raises(ValueError, match='K×3×H×W'):
        model.predict_faces(torch.randn(3, 8, 8), torch.randn(1, 3, 12, 16))
    with pytest.raises(ValueError, match='context_index'):
        model.predict_faces(
            torch.randn(2, 3, 8, 8), torch.randn(2, 3, 12, 16),
            torch.tensor([0, 2]))


@pytest.mark.parametrize('neck', [
    'GlobalLocalAttentionNeck', 'ContextAttentionNeck',
    'GlobalAveragePoolingTwoViewNeck'
])
def test_forward_faces_equals_test_step(neck):
    """forward_faces on preprocessed views gives test_step's scores,
    attention and fusion weights; faces of several pictures paired with
    their contexts by context_index give the same, each context encoded
    once."""
    torch.manual_seed(0)
    model = build_model(neck=neck).eval()
    gen = torch.Generator().manual_seed(5)
    batch = dict(
        inputs=dict(
            face=torch.randint(0, 256, (5, 3, 8, 8), generator=gen).byte(),
            context=torch.randint(0, 256, (5, 3, 12, 16),
                                  generator=gen).byte()),
        data_samples=samples(5))
    views = model.data_preprocessor(batch)['inputs']
    with torch.no_grad():
        expected = model.test_step(batch)
        outputs = model.forward_faces(views['face'], views['context'])
    scores = outputs.logits.softmax(1)
    torch.testing.assert_close(
        scores, torch.stack([p.pred_score for p in expected]))
    for name in ('attention', 'fusion_weights'):
        got = getattr(outputs, name)
        if name in expected[0]:
            torch.testing.assert_close(
                got, torch.stack([p.get(name) for p in expected]))
        else:
            assert got is None

    # pictures 0 and 3 (with 3 and 2 faces) as one call: two contexts
    calls = []
    model.context_backbone.register_forward_hook(
        lambda module, args, out: calls.append(args[0].shape[0]))
    contexts = views['context'][[0, 3]]
    with torch.no_grad():
        paired = model.forward_faces(views['face'], contexts,
                                     torch.tensor([0, 0, 0, 1, 1]))
        shared = [model.forward_faces(views['face'][:3], contexts[:1]),
                  model.forward_faces(views['face'][3:], contexts[1:])]
    assert calls == [2, 1, 1]
    for name in ('logits', 'attention', 'fusion_weights'):
        parts = [getattr(out, name) for out in shared]
        if parts[0] is None:
            assert getattr(paired, name) is None
        else:
            # batched convolutions round differently (raw 0-255 inputs)
            torch.testing.assert_close(
                getattr(paired, name), torch.cat(parts), rtol=1e-4,
                atol=1e-4)


def test_mmpretrain_backbones_of_different_widths():
    """Any MMPretrain backbone per stream; tuple outputs use the last map."""
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='GlamorClassifier',
            face_backbone=dict(type='ResNet', depth=18, out_indices=(2, 3)),
            context_backbone=dict(type='MobileNetV2', widen_factor=0.35),
            neck=dict(
                type='GlobalLocalAttentionNeck',
                face_channels=512,
                context_channels=1280),
            head=dict(
                type='FusionHead',
                num_classes=7,
                face_channels=512,
                context_channels=1280)))
    model.eval()
    with torch.no_grad():
        (pred, ) = model.predict(
            dict(
                face=torch.randn(1, 3, 64, 64),
                context=torch.randn(1, 3, 96, 96)))
    assert pred.pred_score.shape == (7, )
    assert pred.attention.shape == (3, 3)


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a GPU')
def test_cuda_preprocess_and_predict_faces():
    model = build_model()
    model.data_preprocessor = MODELS.build(
        dict(
            type='TwoViewDataPreprocessor',
            face_mean=[128.] * 3,
            face_std=[64.] * 3,
            context_mean=[128.] * 3,
            context_std=[64.] * 3,
            to_rgb=True))
    model = model.cuda().eval()
    batch = dict(
        inputs=dict(
            face=torch.randint(0, 256, (2, 3, 8, 8), dtype=torch.uint8),
            context=torch.randint(0, 256, (2, 3, 12, 16), dtype=torch.uint8)),
        data_samples=samples())
    with torch.no_grad():
        predictions = model.test_step(batch)
        shared = model.predict_faces(
            model.data_preprocessor(batch)['inputs']['face'],
            model.data_preprocessor(batch)['inputs']['context'][:1])
    assert predictions[0].pred_score.is_cuda
    torch.testing.assert_close(shared[0].pred_score, predictions[0].pred_score)


def test_channels_last_trains_like_default():
    """Same losses and weights over a few SGD steps of the original model,
    up to float rounding; the backbones run in NHWC."""
    from mmengine.config import Config
    cfg = Config.fromfile(
        osp.join(osp.dirname(__file__), '..', '..', '..', 'configs', '_base_',
                 'models', 'glamor_original.py')).model
    models = {}
    for channels_last in (False, True):
        torch.manual_seed(0)
        models[channels_last] = MODELS.build(
            dict(cfg, channels_last=channels_last))
    models[True].load_state_dict(models[False].state_dict())
    weight = models[True].context_backbone.blocks[1].conv.weight
    assert weight.is_contiguous(memory_format=torch.channels_last)
    gen = torch.Generator().manual_seed(0)
    inputs = dict(
        face=torch.randn(4, 3, 48, 48, generator=gen),
        context=torch.randn(4, 3, 56, 56, generator=gen))
    losses = {}
    for channels_last, model in models.items():
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        losses[channels_last] = []
        for step in range(3):
            torch.manual_seed(step)  # same dropout masks
            loss = model.loss(inputs, samples(4))['loss']
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses[channels_last].append(loss.item())
    assert losses[True] == pytest.approx(losses[False], rel=1e-4)
    assert len(set(losses[False])) == 3  # the weights did change
    for (name, a), b in zip(models[False].state_dict().items(),
                            models[True].state_dict().values()):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5, msg=name)
