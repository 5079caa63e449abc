"""GlamorClassifier on video clips: flattening, clip averaging, losses and
MMAction2 backbones in either stream."""
import sys

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import glamor_mm.models  # noqa: F401
from glamor_mm.evaluation import ClipAccuracy
from glamor_mm.models.classifiers.glamor_classifier import average_clips

ENCODER_3D = dict(
    type='GlamorEncoder',
    widths=(4, 8),
    pools=((1, 2, 2), 2),
    conv_cfg=dict(type='Conv3d'),
    norm_cfg=dict(type='BN3d'))


def build_clip_model(neck='ContextAttentionNeck', dropout=0.5, **kwargs):
    neck_cfg = dict(
        ContextAttentionNeck=dict(
            type='ContextAttentionNeck',
            context_channels=8,
            hidden_channels=4,
            conv_cfg=dict(type='Conv3d'),
            norm_cfg=dict(type='BN3d')),
        GlobalLocalAttentionNeck=dict(
            type='GlobalLocalAttentionNeck',
            face_channels=8,
            context_channels=8,
            hidden_channels=4))[neck]
    return MODELS.build(
        dict(
            type='GlamorClassifier',
            face_backbone=ENCODER_3D,
            context_backbone=ENCODER_3D,
            neck=neck_cfg,
            head=dict(
                type='FusionHead',
                num_classes=3,
                face_channels=8,
                context_channels=8,
                fusion_hidden_channels=4,
                hidden_channels=4,
                dropout=dropout),
            **kwargs))


def clip_inputs(n, k, seed=0):
    """n videos of k clips of 4 frames: face 8x8, context 12x16."""
    gen = torch.Generator().manual_seed(seed)
    return dict(
        face=torch.randn(n, k, 3, 4, 8, 8, generator=gen),
        context=torch.randn(n, k, 3, 4, 12, 16, generator=gen))


def test_average_clips_by_hand():
    """Video score = mean of the clips' softmax scores; the clip-level
    accuracy counts each clip."""
    clips = [
        DataSample().set_pred_score(torch.tensor(s))
        for s in ([0.6, 0.4], [0.2, 0.8], [0.3, 0.7], [0.9, 0.1])
    ]
    videos = [DataSample().set_gt_label(0), DataSample().set_gt_label(0)]
    out = average_clips(clips, [3, 1], videos)
    torch.testing.assert_close(out[0].pred_score,
                               torch.tensor([1.1 / 3, 1.9 / 3]))
    assert out[0].pred_label.tolist() == [1]
    torch.testing.assert_close(
        out[0].clip_scores, torch.tensor([[0.6, 0.4], [0.2, 0.8], [0.3, 0.7]]))
    torch.testing.assert_close(out[1].pred_score, torch.tensor([0.9, 0.1]))
    assert out[1].pred_label.tolist() == [0]
    metric = ClipAccuracy()
    metric.process(None, [s.to_dict() for s in out])
    # clips correct: 1 of 3 (video 0) + 1 of 1 (video 1)
    assert metric.compute_metrics(metric.results) == dict(
        top1=50.0, num_clips=4)
    with pytest.raises(ValueError, match='clip predictions'):
        average_clips(clips, [2, 1])


@pytest.mark.parametrize('neck',
                         ['ContextAttentionNeck', 'GlobalLocalAttentionNeck'])
def test_predict_averages_clip_softmax(neck):
    torch.manual_seed(0)
    model = build_clip_model(neck).eval()
    inputs = clip_inputs(2, 3)
    logits = model(inputs, mode='tensor')
    assert logits.shape == (6, 3)  # N*K clips
    clip_probs = logits.softmax(dim=1).view(2, 3, 3)
    predictions = model(inputs, [DataSample() for _ in range(2)], 'predict')
    for k, sample in enumerate(predictions):
        torch.testing.assert_close(sample.clip_scores, clip_probs[k])
        torch.testing.assert_close(sample.pred_score, clip_probs[k].mean(0))
        assert sample.pred_label.item() == clip_probs[k].mean(0).argmax()
        assert sample.attention.shape == (3, 2, 3, 4)  # K x T' x H' x W'
        assert sample.fusion_weights.shape == (3, 2)


def test_predict_averages_clip_logits_with_average_clips_score():
    torch.manual_seed(0)
    model = build_clip_model(average_clips='score').eval()
    inputs = clip_inputs(2, 3)
    logits = model(inputs, mode='tensor').view(2, 3, 3)
    predictions = model(inputs, [DataSample() for _ in range(2)], 'predict')
    for k, sample in enumerate(predictions):
        torch.testing.assert_close(sample.clip_scores, logits[k])
        torch.testing.assert_close(sample.pred_score, logits[k].mean(0))
        assert sample.pred_label.item() == logits[k].mean(0).argmax()
    with pytest.raises(ValueError, match="'prob' or 'score'"):
        build_clip_model(average_clips='max')


def test_videos_with_different_numbers_of_clips():
    """Concatenated clips grouped by `num_clips` = each video alone."""
    torch.manual_seed(1)
    model = build_clip_model().eval()
    short, long = clip_inputs(1, 1, seed=1), clip_inputs(1, 3, seed=2)
    batch = {
        view: torch.cat([short[view][0], long[view][0]])
        for view in short
    }
    samples = [
        DataSample(metainfo=dict(num_clips=1)),
        DataSample(metainfo=dict(num_clips=3))
    ]
    together = model(batch, samples, 'predict')
    for alone_inputs, joint in zip((short, long), together):
        alone = model(alone_inputs, None, 'predict')[0]
        torch.testing.assert_close(joint.pred_score, alone.pred_score)
        torch.testing.assert_close(joint.clip_scores, alone.clip_scores)
    with pytest.raises(ValueError, match='num_clips'):
        model(batch, None, 'predict')


def test_loss_uses_every_clip_with_its_video_label():
    torch.manual_seed(2)
    model = build_clip_model(dropout=0.0)
    model.eval()  # fixed BN statistics: same logits in both calls
    inputs = clip_inputs(2, 2)
    labels = [2, 0]
    losses = model(inputs, [DataSample().set_gt_label(y) for y in labels],
                   'loss')
    logits = model(inputs, mode='tensor')
    expected = F.cross_entropy(logits, torch.tensor([2, 2, 0, 0]))
    torch.testing.assert_close(losses['loss'], expected)
    losses['loss'].backward()
    for stream in (model.face_backbone, model.context_backbone):
        assert stream.blocks[0].conv.weight.grad.abs().sum() > 0


def test_mmaction2_backbones_in_either_stream():
    """MMAction2's C3D (ends in fc7 vectors) for the faces, its ResNet3d
    (a clip map) with global-local attention for the context."""
    torch.manual_seed(3)
    model = MODELS.build(
        dict(
            type='GlamorClassifier',
            # 16x32x32 clips: C3D's pool5 leaves 512 x 1 x 2 x 2
            face_backbone=dict(type='mmaction.C3D', out_dim=512 * 4),
            context_backbone=dict(
                type='mmaction.ResNet3d',
                depth=18,
                pretrained=None,
                pretrained2d=False,
                base_channels=8,
                num_stages=2,
                spatial_strides=(1, 2),
                temporal_strides=(1, 1),
                dilations=(1, 1),
                out_indices=(1, ),
                inflate=((1, 1), (1, 1)),
                conv1_kernel=(3, 7, 7)),
            neck=dict(
                type='GlobalLocalAttentionNeck',
                face_channels=4096,
                context_channels=16,
                hidden_channels=4),
            head=dict(
                type='FusionHead',
                num_classes=3,
                face_channels=4096,
                context_channels=16)))
    model.init_weights()
    model.eval()
    inputs = dict(
        face=torch.randn(1, 2, 3, 16, 32, 32),
        context=torch.randn(1, 2, 3, 4, 32, 32))
    (prediction, ) = model(inputs, None, 'predict')
    assert prediction.clip_scores.shape == (2, 3)
    assert prediction.attention.dim() == 4  # K x T' x H' x W'
    torch.testing.assert_close(prediction.attention[0].sum(), torch.tensor(1.))


def test_missing_mmaction2_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, 'mmaction.models', None)
    with pytest.raises(ImportError, match='setup_env.sh'):
        MODELS.build(
            dict(
                type='GlamorClassifier',
                face_backbone=ENCODER_3D,
                context_backbone=dict(type='mmaction.C3D'),
                neck=dict(type='GlobalAveragePoolingTwoViewNeck'),
                head=dict(type='FusionHead', num_classes=3, face_channels=8)))


def test_channels_last_runs_clip_models():
    """channels_last=True puts 3D backbones in NTHWC (channels_last_3d)
    instead of failing on their 5-D weights; the scores are the same."""
    torch.manual_seed(0)
    reference = build_clip_model().eval()
    fast = build_clip_model(channels_last=True).eval()
    fast.load_state_dict(reference.state_dict())
    weight = next(p for p in fast.face_backbone.parameters() if p.dim() == 5)
    assert weight.is_contiguous(memory_format=torch.channels_last_3d)
    inputs = clip_inputs(2, 2)
    with torch.no_grad():
        torch.testing.assert_close(
            fast(inputs), reference(inputs), rtol=1e-4, atol=1e-5)
