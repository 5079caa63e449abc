import torch
from mmpretrain.registry import MODELS

import glamor_mm.models  # noqa: F401


def test_plain_averages():
    neck = MODELS.build(dict(type='GlobalAveragePoolingTwoViewNeck'))
    face = torch.arange(8.).view(1, 2, 2, 2)
    context = torch.arange(18.).view(1, 2, 3, 3)
    v_f, v_c, attn = neck(face, context)
    torch.testing.assert_close(v_f, torch.tensor([[1.5, 5.5]]))
    torch.testing.assert_close(v_c, torch.tensor([[4.0, 13.0]]))
    assert attn is None
    assert list(neck.parameters()) == []
    assert neck(None, context)[0] is None
    assert neck(face, None)[1] is None


def test_clip_maps_and_vectors():
    """Clip maps are averaged over T·H·W; vectors (MMAction2 C3D) pass."""
    neck = MODELS.build(dict(type='GlobalAveragePoolingTwoViewNeck'))
    face = torch.arange(16.).view(1, 2, 2, 2, 2)
    context = torch.tensor([[1., 2., 3.]])
    v_f, v_c, attn = neck(face, context)
    torch.testing.assert_close(v_f, torch.tensor([[3.5, 11.5]]))
    torch.testing.assert_close(v_c, context)
    assert attn is None
