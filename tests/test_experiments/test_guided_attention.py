"""Face-guided attention on the 'guided' toy data, images and ideal features.

The context-only setting of paper Table 4 (ii) isolates the attention: the
model classifies v_c alone, and with GLA the face steers where v_c is read.
Pooling the context without the face allows at most 30.4 %
(guided_best_accuracy). GLA gets past that through the face: its attention
weights depend on the face, so v_c carries the face cue (57.1 % alone). At
this scale (150 steps) it does not yet pick the object the hat names; the
benchmark's schedule (configs/toy/on_toy_guided.py, ~4900 steps) is where it
learns to (tools/analysis_tools/attention_on_named_object.py;
docs/attention.md).

The second test takes the encoders out: on ideal encoder features of the
same scenes, GLA learns within seconds to read the object the face names,
which pooling and CAER-Net-S attention cannot.
"""
from typing import Tuple

import numpy as np
import torch
from mmcv.transforms import Compose
from mmengine.dataset import default_collate
from mmpretrain.registry import MODELS, TRANSFORMS
from mmpretrain.structures import DataSample

import glamor_mm  # noqa: F401
from glamor_mm.datasets.toy.caers import (GUIDED_COLORS, GUIDED_MARKS,
                                          TOY_CUES, draw_guided_scene,
                                          guided_best_accuracy)

EPOCHS = 15
NECKS = dict(
    gla=dict(
        type='GlobalLocalAttentionNeck',
        face_channels=64,
        context_channels=64,
        hidden_channels=32,
        norm_cfg=dict(type='BN1d'),
        uniform_init=True),
    none=dict(type='GlobalAveragePoolingTwoViewNeck'))


def _batch(split: int, num_per_class: int) -> dict:
    """Scenes through the real two-view transforms and preprocessor."""
    pipeline = Compose([
        TRANSFORMS.build(t)
        for t in (dict(type='CropFace', scale=(32, 32)), dict(type='MaskFace'),
                  dict(type='PackTwoViewInputs'))
    ])
    samples = []
    for label in range(7):
        for i in range(num_per_class):
            img, box = draw_guided_scene(
                label, np.random.default_rng([0, split, label, i]))
            samples.append(
                pipeline(dict(img=img, face_bbox=box, gt_label=label)))
    return default_collate(samples)


def _train_and_test(neck: str, train: dict, test: dict) -> float:
    """Train a context-only model with ``neck`` (Adam, seeded) and return
    its test accuracy."""
    torch.manual_seed(0)
    encoder = dict(type='GlamorEncoder', widths=(8, 16, 32, 64, 64))
    model = MODELS.build(
        dict(
            type='GlamorClassifier',
            face_backbone=encoder,
            context_backbone=encoder,
            neck=NECKS[neck],
            head=dict(
                type='FusionHead',
                num_classes=7,
                face_channels=64,
                context_channels=64,
                branches=('context', ),
                hidden_channels=64,
                dropout=0.0,
                loss=dict(type='CrossEntropyLoss')),
            data_preprocessor=dict(
                context_mean=[128] * 3,
                context_std=[64] * 3,
                face_mean=[128] * 3,
                face_std=[64] * 3)))
    model.init_weights()
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    train = model.data_preprocessor(train)
    num = len(train['data_samples'])
    generator = torch.Generator().manual_seed(0)
    for _ in range(EPOCHS):
        model.train()
        for idx in torch.randperm(num, generator=generator).split(35):
            inputs = {k: v[idx] for k, v in train['inputs'].items()}
            samples = [train['data_samples'][i] for i in idx]
            loss = model(inputs, samples, mode='loss')['loss']
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        preds = model.predict(**model.data_preprocessor(test))
    return float(
        np.mean([int(p.pred_label) == int(p.gt_label) for p in preds]))


def test_gla_beats_pooling_when_the_face_names_the_object():
    """Measured: GLA 65.2 %, no attention 17.1 % on the 210 test scenes."""
    train, test = _batch(0, 50), _batch(1, 30)
    accs = {neck: _train_and_test(neck, train, test) for neck in NECKS}
    # pooling cannot know which object the hat names: at most 30.4 %
    assert accs['none'] < guided_best_accuracy(('context', )) + 0.05, accs
    # the face steers GLA's attention: near the 4/7 of the face cue, far
    # above pooling
    assert accs['gla'] > 0.45 and accs['gla'] > accs['none'] + 0.2, accs


# Ideal encoder features of guided scenes: a 5x7 context map with the four
# objects on random cells, each cell showing its object's colour (channels
# 0-3) and mark (4-7); a face vector showing the hat colour (0-3) and the
# face cue (8-11).
CHANNELS, MAP_SIZE, AMPLITUDE = 16, (5, 7), 3.0
IDEAL_NECKS = dict(
    gla=dict(
        type='GlobalLocalAttentionNeck',
        face_channels=CHANNELS,
        context_channels=CHANNELS,
        hidden_channels=32,
        norm_cfg=dict(type='BN1d')),
    ca=dict(type='ContextAttentionNeck', context_channels=CHANNELS),
    none=dict(type='GlobalAveragePoolingTwoViewNeck'))


def _ideal_features(
    num: int, generator: torch.Generator
) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``num`` random guided scenes as ideal encoder maps.

    Returns:
        tuple[Tensor]: Face maps (N, C, 1, 1), context maps (N, C, 5, 7),
        labels (N, ) and the flat cell index of the named object (N, ).
    """
    num_objects, cells = len(GUIDED_COLORS), MAP_SIZE[0] * MAP_SIZE[1]
    labels = torch.randint(len(TOY_CUES), (num, ), generator=generator)
    targets = torch.randint(num_objects, (num, ), generator=generator)
    marks = torch.randint(
        len(GUIDED_MARKS), (num, num_objects), generator=generator)
    places = torch.stack([
        torch.randperm(cells, generator=generator)[:num_objects]
        for _ in range(num)
    ])
    face = torch.zeros(num, CHANNELS)
    context = 0.1 * torch.randn(num, CHANNELS, cells, generator=generator)
    rows = torch.arange(num)
    cues = torch.tensor(TOY_CUES)[labels]  # (face cue, mark) per scene
    marks[rows, targets] = cues[:, 1]
    face[rows, targets] = 1
    face[rows, 8 + cues[:, 0]] = 1
    for k in range(num_objects):
        context[rows, k, places[:, k]] += AMPLITUDE
        context[rows, 4 + marks[:, k], places[:, k]] += AMPLITUDE
    return (face[..., None,
                 None], context.view(num, CHANNELS,
                                     *MAP_SIZE), labels, places[rows, targets])


def _train_on_ideal_features(neck_name: str) -> Tuple[float, float]:
    """Train a context-only neck + FusionHead on fresh ideal features every
    step (Adam, seeded); return its test accuracy and how often the
    attention peak is on the named object's cell (-1 without attention)."""
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(0)
    neck = MODELS.build(IDEAL_NECKS[neck_name])
    head = MODELS.build(
        dict(
            type='FusionHead',
            num_classes=len(TOY_CUES),
            face_channels=CHANNELS,
            context_channels=CHANNELS,
            branches=('context', ),
            hidden_channels=32,
            dropout=0.0,
            loss=dict(type='CrossEntropyLoss')))
    neck.init_weights()
    head.init_weights()
    optimizer = torch.optim.Adam([*neck.parameters(), *head.parameters()],
                                 lr=3e-3)
    for _ in range(400):
        face, context, labels, _ = _ideal_features(64, generator)
        samples = [DataSample().set_gt_label(int(label)) for label in labels]
        loss = head.loss(neck(face, context), samples)['loss']
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    neck.eval()
    head.eval()
    face, context, labels, named = _ideal_features(
        700,
        torch.Generator().manual_seed(1))
    with torch.no_grad():
        feats = neck(face, context)
        acc = (head(feats).argmax(1) == labels).float().mean().item()
    if feats[2] is None:
        return acc, -1.0
    return acc, (feats[2].flatten(1).argmax(1) == named).float().mean().item()


def test_gla_reads_the_object_the_face_names_from_ideal_features():
    """With encoder features that show every colour and mark, the GLA neck
    learns in 400 steps to put its attention on the object the face names;
    pooling and CAER-Net-S attention, which cannot see the face, stay at the
    30.4 % of the pooled context.

    Measured: GLA 99.7 % with the attention peak on the named object's cell
    in 86.6 % of the 700 test scenes; no attention 31.9 %; CAER-Net-S
    27.0 % (peak on the named object 30.3 %, near the 1 in 4 of picking
    one of the objects)."""
    gla_acc, gla_hits = _train_on_ideal_features('gla')
    # past what the face cue or the named mark allows alone (4/7): both used
    assert gla_acc > 0.85, gla_acc
    assert gla_hits > 0.8, gla_hits
    for neck in ('none', 'ca'):
        acc, hits = _train_on_ideal_features(neck)
        assert acc < guided_best_accuracy(('context', )) + 0.05, (neck, acc)
        assert hits < 0.4, (neck, hits)
