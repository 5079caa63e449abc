"""Every model base config builds, runs all modes and has the expected size.

Parameter counts are derived independently, layer by layer, and compared with
the paper's Table 7 (see README "Models"): the paper's figures equal ours
(with BN running statistics, as Keras counts them) plus one extra
FC((Cf + Cc) -> 128) layer, for all three encoders.
"""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import default_collate
from mmpretrain.registry import MODELS

import glamor_mm.models  # noqa: F401

CONFIG_DIR = osp.join(
    osp.dirname(__file__), '..', '..', 'configs', '_base_', 'models')
NUM_CLASSES = 7


def linear(i, o):
    return i * o + o


def glamor_encoder():
    """(trainable, BN statistics) of the paper's 5-conv encoder."""
    params = stats = 0
    c_in = 3
    for width in (32, 64, 128, 256, 256):
        params += 9 * c_in * width + width + 2 * width  # conv + bias, BN
        stats += 2 * width
        c_in = width
    return params, stats


# Reference sizes of the MMPretrain backbones without classifier:
# MobileNetV2 (width 1.0) = Keras MobileNetV2(include_top=False):
# 2,257,984 of which 34,112 non-trainable BN statistics.
MOBILENETV2 = (2_257_984 - 34_112, 34_112)
# ResNet-18 = torchvision resnet18 (11,689,512) minus its fc (512*1000+1000);
# 4,800 BN channels -> 9,600 statistics.
RESNET18 = (11_689_512 - 513_000, 9_600)


def heads(cf, cc, gla_bn=True):
    """(trainable, BN statistics) of GLA neck + fusion-net head."""
    gla = linear(cf + cc, 128) + linear(128, 1) + (2 * 128 if gla_bn else 0)
    fusion = linear(cf, 128) + linear(128, 1) + linear(cc, 128) + linear(
        128, 1)
    classifier = linear(cf + cc, 128) + linear(128, NUM_CLASSES)
    return gla + fusion + classifier, 2 * 128 if gla_bn else 0


def expected(backbone, channels):
    (bp, bs), (hp, hs) = backbone, heads(channels, channels)
    return 2 * bp + hp, 2 * bs + hs


# config: (expected (params, BN stats), channels, paper Table 7 in M)
EXPECTED = {
    'glamor_original': (expected(glamor_encoder(), 256), 256, 2.23),
    'glamor_mobilenetv2': (expected(MOBILENETV2, 1280), 1280, 5.83),
    'glamor_resnet18': (expected(RESNET18, 512), 512, 22.90),
}


def count(model):
    params = sum(p.numel() for p in model.parameters())
    stats = sum(b.numel() for n, b in model.named_buffers()
                if n.endswith(('running_mean', 'running_var')))
    return params, stats


def build(name, **model_overrides):
    cfg = Config.fromfile(osp.join(CONFIG_DIR, f'{name}.py'))
    if model_overrides:
        cfg.merge_from_dict({'model': model_overrides})
    model_cfg = cfg.model
    model_cfg.data_preprocessor = dict(
        type='TwoViewDataPreprocessor',
        face_mean=[128.] * 3,
        face_std=[64.] * 3,
        context_mean=[128.] * 3,
        context_std=[64.] * 3,
        to_rgb=True)
    return MODELS.build(model_cfg)


def run_all_modes(model, make_packed_samples):
    """Loss (with backward), tensor and predict on two 96/112 samples."""

    def packed_batch():
        return default_collate(make_packed_samples(2, (96, 96), (112, 112)))

    torch.manual_seed(0)
    model.train()
    data = model.data_preprocessor(packed_batch(), training=True)
    losses = model(**data, mode='loss')
    assert torch.isfinite(losses['loss'])
    losses['loss'].backward()
    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(packed_batch(), training=False)
        logits = model(data['inputs'], mode='tensor')
        predictions = model(**data, mode='predict')
        weights = model.head.fuse(model.extract_feat(data['inputs']))[1]
    assert logits.shape == (2, NUM_CLASSES)
    for k, sample in enumerate(predictions):
        torch.testing.assert_close(sample.pred_score, logits[k].softmax(0))
        if weights is None:  # no fusion network: no weights
            assert 'fusion_weights' not in sample
        else:
            torch.testing.assert_close(sample.fusion_weights, weights[k])
    return losses, predictions


ALL_CONFIGS = sorted(
    osp.splitext(osp.basename(p))[0]
    for p in glob.glob(osp.join(CONFIG_DIR, '*.py')))
# clip models: built and trained by tests/test_configs/test_video_configs.py
VIDEO_CONFIGS = {'caernet', 'glamor_original3d'}
CONFIGS = [name for name in ALL_CONFIGS if name not in VIDEO_CONFIGS]


def test_all_configs_listed():
    assert set(ALL_CONFIGS) == {
        'glamor_original', 'glamor_mobilenetv2', 'glamor_resnet18',
        'caernet_s'
    } | VIDEO_CONFIGS


@pytest.mark.parametrize('name', CONFIGS)
def test_config_builds_and_runs(name, make_packed_samples):
    model = build(name)
    losses, predictions = run_all_modes(model, make_packed_samples)
    assert {'fusion_w_face', 'fusion_w_context'} <= set(losses)
    attn_shape = (7, 7) if name in ('glamor_original', 'caernet_s') else (4, 4)
    assert predictions[0].attention.shape == attn_shape
    assert predictions[0].fusion_weights.shape == (2, )


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_parameter_counts(name):
    (params, stats), channels, paper_m = EXPECTED[name]
    model = build(name)
    measured = count(model)
    print(f'{name}: {measured[0]:,} parameters, {sum(measured):,} with BN '
          f'statistics (paper Table 7: {paper_m} M)')
    assert measured == (params, stats)
    # The paper's Table 7 figure = ours with BN statistics + one more
    # FC((Cf + Cc) -> 128).
    assert round((sum(measured) + linear(2 * channels, 128)) / 1e6,
                 2) == paper_m


def test_original_matches_keras_recount():
    """The authors' TF model re-counted in Keras: 2,161,802 (incl. BN)."""
    assert sum(count(build('glamor_original'))) == 2_161_802
    # without the GLA BatchNorm of the TF code (paper text)
    no_bn = build('glamor_original', neck=dict(norm_cfg=None))
    assert count(no_bn) == (2_158_602 - 256, 2 * 1472)


def test_caernet_s_counts():
    model = build('caernet_s')
    enc_params, enc_stats = glamor_encoder()
    attention = (9 * 256 * 128 + 2 * 128) + (9 * 128 * 1 + 2 * 1)
    gla = linear(512, 128) + linear(128, 1)
    fusion_and_classifier = heads(256, 256, gla_bn=False)[0] - gla
    assert count(model) == (2 * enc_params + attention + fusion_and_classifier,
                            2 * enc_stats + 2 * 128 + 2 * 1)


@pytest.mark.parametrize('overrides', [
    dict(head=dict(fusion='add')),
    dict(head=dict(fusion='max')),
    dict(head=dict(fusion='concat')),
    dict(neck=dict(_delete_=True, type='GlobalAveragePoolingTwoViewNeck')),
    dict(
        neck=dict(_delete_=True, type='GlobalAveragePoolingTwoViewNeck'),
        head=dict(branches=('face', ))),
    dict(head=dict(branches=('context', ))),
])
def test_ablation_overrides(overrides, make_packed_samples):
    model = build('glamor_original', **overrides)
    run_all_modes(model, make_packed_samples)
    branches = model.head.branches
    assert (model.context_backbone is None) == ('context' not in branches)
