import pytest
import torch
from mmengine.dataset import default_collate, pseudo_collate
from mmpretrain.registry import MODELS

import glamor_mm.models  # noqa: F401

FACE_MEAN, FACE_STD = [10., 20., 30.], [2., 4., 5.]
CONTEXT_MEAN, CONTEXT_STD = [100., 110., 120.], [10., 10., 20.]


@pytest.fixture
def packed_samples(make_packed_samples):
    """Three packed samples with a 4x4 face and a 5x6 context (BGR)."""
    return lambda n=3: make_packed_samples(n, (4, 4), (5, 6))


def build(**kwargs):
    return MODELS.build(
        dict(
            type='TwoViewDataPreprocessor',
            face_mean=FACE_MEAN,
            face_std=FACE_STD,
            context_mean=CONTEXT_MEAN,
            context_std=CONTEXT_STD,
            to_rgb=True,
            **kwargs))


def expected_view(raw, mean, std):
    rgb = raw.float()[[2, 1, 0]]
    return (rgb - torch.tensor(mean).view(3, 1, 1)) / torch.tensor(std).view(
        3, 1, 1)


@pytest.mark.parametrize('collate', [default_collate, pseudo_collate])
def test_normalises_each_view(collate, packed_samples):
    raw = packed_samples()
    out = build()(collate(raw), training=True)
    assert set(out['inputs']) == {'face', 'context'}
    assert out['inputs']['face'].shape == (3, 3, 4, 4)
    assert out['inputs']['context'].shape == (3, 3, 5, 6)
    for k, sample in enumerate(raw):
        torch.testing.assert_close(
            out['inputs']['face'][k],
            expected_view(sample['inputs']['face'], FACE_MEAN, FACE_STD))
        torch.testing.assert_close(
            out['inputs']['context'][k],
            expected_view(sample['inputs']['context'], CONTEXT_MEAN,
                          CONTEXT_STD))
        assert out['data_samples'][k].gt_label.tolist() == [k]


def test_bitwise_and_leaves_float_inputs_alone():
    """Normalised in place, with the values of (x - mean) / std to the bit,
    and never in the caller's tensors (float views, no flip)."""
    torch.manual_seed(0)
    raw = torch.randint(0, 256, (4, 3, 7, 9), dtype=torch.uint8)
    out = build()(dict(inputs=dict(face=raw, context=raw)))['inputs']
    assert torch.equal(
        out['face'],
        (raw.flip(1).float() - torch.tensor(FACE_MEAN).view(3, 1, 1)) /
        torch.tensor(FACE_STD).view(3, 1, 1))
    views = dict(face=raw.float(), context=raw.float())
    before = {k: v.clone() for k, v in views.items()}
    no_flip = MODELS.build(
        dict(
            type='TwoViewDataPreprocessor',
            face_mean=FACE_MEAN,
            face_std=FACE_STD,
            context_mean=CONTEXT_MEAN,
            context_std=CONTEXT_STD))
    out = no_flip(dict(inputs=views))['inputs']
    for view in ('face', 'context'):
        assert torch.equal(views[view], before[view])
        assert out[view].data_ptr() != views[view].data_ptr()
    assert not torch.equal(out['face'], views['face'])


def test_both_collates_agree_and_onehot(packed_samples):
    preprocessor = build(to_onehot=True, num_classes=4)
    a = preprocessor(default_collate(packed_samples()))
    b = preprocessor(pseudo_collate(packed_samples()))
    for view in ('face', 'context'):
        torch.testing.assert_close(a['inputs'][view], b['inputs'][view])
    # same one-hot encoding as ClsDataPreprocessor
    assert a['data_samples'][2].gt_score.tolist() == [0, 0, 1, 0]


def test_without_normalisation(packed_samples):
    preprocessor = MODELS.build(dict(type='TwoViewDataPreprocessor'))
    raw = packed_samples(1)
    out = preprocessor(pseudo_collate(raw))
    torch.testing.assert_close(out['inputs']['face'][0],
                               raw[0]['inputs']['face'].float())


def test_bad_input(packed_samples):
    preprocessor = build()
    batch = pseudo_collate(packed_samples(2))
    batch['inputs']['context'][1] = torch.zeros(3, 7, 7, dtype=torch.uint8)
    with pytest.raises(ValueError, match='different shapes'):
        preprocessor(batch)
    with pytest.raises(ValueError, match="'face' and 'context'"):
        preprocessor(dict(inputs=torch.zeros(2, 3, 4, 4)))
    with pytest.raises(ValueError, match='face_std'):
        MODELS.build(dict(type='TwoViewDataPreprocessor', face_mean=[0, 0, 0]))
    with pytest.raises(ValueError, match='num_classes'):
        MODELS.build(dict(type='TwoViewDataPreprocessor', to_onehot=True))


def clip_samples(num_clips, seed=0):
    """Packed videos as the video pipeline yields them: uint8 BGR views of
    K x 3 x T x H x W (T=2; face 4x4, context 5x6), K from ``num_clips``."""
    gen = torch.Generator().manual_seed(seed)

    def clip(k, h, w):
        return torch.randint(
            0, 256, (k, 3, 2, h, w), generator=gen, dtype=torch.uint8)

    return [
        dict(inputs=dict(face=clip(k, 4, 4), context=clip(k, 5, 6)))
        for k in num_clips
    ]


def expected_clips(raw, mean, std):
    rgb = raw.float()[:, [2, 1, 0]]
    return (rgb - torch.tensor(mean).view(
        3, 1, 1, 1)) / torch.tensor(std).view(3, 1, 1, 1)


@pytest.mark.parametrize('collate', [default_collate, pseudo_collate])
def test_normalises_clips(collate):
    raw = clip_samples((2, 2))
    out = build()(collate(raw))['inputs']
    assert out['face'].shape == (2, 2, 3, 2, 4, 4)
    assert out['context'].shape == (2, 2, 3, 2, 5, 6)
    for k, sample in enumerate(raw):
        torch.testing.assert_close(
            out['face'][k],
            expected_clips(sample['inputs']['face'], FACE_MEAN, FACE_STD))
        torch.testing.assert_close(
            out['context'][k],
            expected_clips(sample['inputs']['context'], CONTEXT_MEAN,
                           CONTEXT_STD))


def test_videos_with_different_numbers_of_clips_are_concatenated():
    raw = clip_samples((1, 3))
    out = build()(pseudo_collate(raw))['inputs']
    assert out['face'].shape == (4, 3, 2, 4, 4)
    torch.testing.assert_close(
        out['context'][1:],
        expected_clips(raw[1]['inputs']['context'], CONTEXT_MEAN, CONTEXT_STD))
    bad = clip_samples((1, 1))
    bad[1]['inputs']['face'] = bad[1]['inputs']['face'][:, :, :, :3]
    with pytest.raises(ValueError, match='different shapes'):
        build()(pseudo_collate(bad))
