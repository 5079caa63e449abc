import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS

import glamor_mm.models  # noqa: F401


def conv_bn_params(widths, in_channels=3):
    """Trainable parameters of 3x3 conv (+bias) + BN (gamma, beta) blocks."""
    total = 0
    for width in widths:
        total += 9 * in_channels * width + width + 2 * width
        in_channels = width
    return total


def test_paper_shapes_and_params():
    encoder = MODELS.build(dict(type='GlamorEncoder'))
    (face_map, ) = encoder(torch.zeros(2, 3, 96, 96))
    (context_map, ) = encoder(torch.zeros(1, 3, 112, 112))
    assert face_map.shape == (2, 256, 6, 6)
    assert context_map.shape == (1, 256, 7, 7)
    n_params = sum(p.numel() for p in encoder.parameters())
    assert n_params == conv_bn_params((32, 64, 128, 256, 256)) == 979_968
    # four 2x2 max-pools and five BN layers
    modules = list(encoder.modules())
    assert sum(isinstance(m, torch.nn.MaxPool2d) for m in modules) == 4
    assert sum(isinstance(m, torch.nn.BatchNorm2d) for m in modules) == 5


def test_out_indices_and_config():
    encoder = MODELS.build(
        dict(
            type='GlamorEncoder',
            widths=(4, 8, 16),
            pools=(True, False, True),
            out_indices=(0, 1, -1)))
    outs = encoder(torch.zeros(1, 3, 16, 16))
    assert [tuple(o.shape) for o in outs] == [(1, 4, 8, 8), (1, 8, 8, 8),
                                              (1, 16, 4, 4)]


def test_block_values():
    """One block = relu(BN(conv(x))) then 2x2 max-pool, checked by hand."""
    encoder = MODELS.build(
        dict(
            type='GlamorEncoder', in_channels=1, widths=(1, ), pools=(True, )))
    encoder.eval()  # BaseBackbone.train() returns None: no chaining
    conv = encoder.blocks[0].conv
    with torch.no_grad():
        conv.weight.zero_()
        conv.weight[0, 0, 1, 1] = 2.0  # 2 * x (same padding keeps 4x4)
        conv.bias.fill_(-1.0)
    x = torch.tensor([[[[1., 0., 3., -2.], [0.5, 0., 1., 1.],
                        [-4., 2., 0., 0.], [1., 1., 1., 9.]]]])
    (out, ) = encoder(x)
    bn_scale = 1 / (1 + 1e-5)**0.5  # default running stats: mean 0, var 1
    expected = F.max_pool2d(torch.relu((2 * x - 1) * bn_scale), 2)
    torch.testing.assert_close(out, expected)
    assert out[0, 0, 0, 0].item() == pytest.approx(1.0 * bn_scale, rel=1e-6)


@pytest.mark.parametrize('kwargs', [
    dict(widths=(4, 8), pools=(True, )),
    dict(widths=()),
    dict(widths=(4, ), out_indices=(1, )),
])
def test_bad_config(kwargs):
    with pytest.raises(ValueError, match='GlamorEncoder'):
        MODELS.build(dict(type='GlamorEncoder', **kwargs))


def test_caer_net_3d_encoder_shapes_and_params():
    """CAER-Net Sec. 3.2.1: 5 x (3x3x3 conv + BN + ReLU), 32-64-128-256-256,
    max-pools 1x2x2 then 2x2x2 after the first four blocks."""
    encoder = MODELS.build(
        dict(
            type='GlamorEncoder',
            conv_cfg=dict(type='Conv3d'),
            norm_cfg=dict(type='BN3d'),
            pools=((1, 2, 2), 2, 2, 2, False)))
    (face_map, ) = encoder(torch.zeros(1, 3, 16, 96, 96))
    (context_map, ) = encoder(torch.zeros(1, 3, 16, 112, 112))
    assert face_map.shape == (1, 256, 2, 6, 6)
    assert context_map.shape == (1, 256, 2, 7, 7)
    n_params = sum(p.numel() for p in encoder.parameters())
    # 3x3x3 kernels: 27 weights per input/output channel pair
    assert n_params == conv_bn_params(
        (32, 64, 128, 256, 256)) + 18 * sum(i * o for i, o in zip(
            (3, 32, 64, 128, 256), (32, 64, 128, 256, 256)))
    pools = [m for m in encoder.modules() if isinstance(m, torch.nn.MaxPool3d)]
    assert [p.kernel_size for p in pools] == [(1, 2, 2), 2, 2, 2]
    assert sum(isinstance(m, torch.nn.BatchNorm3d)
               for m in encoder.modules()) == 5


def test_3d_block_values_and_kernel_option():
    """relu(BN(conv3d(x))) then a 1x2x2 pool, with a 1x3x3 kernel."""
    encoder = MODELS.build(
        dict(
            type='GlamorEncoder',
            in_channels=1,
            widths=(1, ),
            pools=((1, 2, 2), ),
            kernel_size=(1, 3, 3),
            conv_cfg=dict(type='Conv3d'),
            norm_cfg=dict(type='BN3d')))
    encoder.eval()
    conv = encoder.blocks[0].conv
    assert conv.kernel_size == (1, 3, 3) and conv.padding == (0, 1, 1)
    with torch.no_grad():
        conv.weight.zero_()
        conv.weight[0, 0, 0, 1, 1] = -1.0
        conv.bias.zero_()
    x = torch.randn(1, 1, 3, 4, 6)
    (out, ) = encoder(x)
    bn_scale = 1 / (1 + 1e-5)**0.5
    expected = F.max_pool3d(torch.relu(-x * bn_scale), (1, 2, 2))
    assert out.shape == (1, 1, 3, 2, 3)
    torch.testing.assert_close(out, expected)


def test_bad_kernel_and_pools():
    with pytest.raises(ValueError, match='odd'):
        MODELS.build(dict(type='GlamorEncoder', kernel_size=2))
    with pytest.raises(ValueError, match='one entry per block'):
        MODELS.build(dict(type='GlamorEncoder', widths=(4, ), pools=(1, 2)))
