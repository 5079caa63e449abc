"""The plain conv encoder of GLAMOR-Net (paper Sec. 3.2.1, Fig. 3) and of
CAER-Net's static (2D) and dynamic (3D) models."""
from collections import OrderedDict
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmcv.cnn import build_activation_layer, build_conv_layer, build_norm_layer
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from mmpretrain.registry import MODELS

PoolSpec = Union[bool, int, Sequence[int]]
MAX_POOLS = {2: nn.MaxPool2d, 3: nn.MaxPool3d}


@MODELS.register_module()
class GlamorEncoder(BaseBackbone):
    """Plain conv encoder of GLAMOR-Net, CAER-Net-S and CAER-Net.

    Each block is a convolution (stride 1, same padding, with bias) +
    norm + activation, followed by a max-pool where ``pools`` says so. The
    convolution type sets the dimensionality: ``Conv2d`` (default) encodes
    images, ``Conv3d`` encodes clips.

    - Images (GLAMOR-Net, CAER-Net-S): with the defaults (3x3 convs, widths
      32-64-128-256-256, a 2x2 pool after every block but the last) a 96x96
      face gives a 256x6x6 map and a 112x112 context a 256x7x7 map, as in the
      authors' code.
    - Clips (CAER-Net, CAER-Net paper Sec. 3.2.1): ``conv_cfg=dict(type=
      'Conv3d')``, ``norm_cfg=dict(type='BN3d')``, ``kernel_size=3`` (3x3x3)
      and ``pools=((1, 2, 2), 2, 2, 2, False)``: the first pool keeps time.
      A 16x96x96 face clip gives 256x2x6x6, a 16x112x112 context clip
      256x2x7x7.

    Args:
        in_channels (int): Channels of the input. Defaults to 3.
        widths (Sequence[int]): Output channels of each block; the number of
            blocks is ``len(widths)``. Defaults to ``(32, 64, 128, 256, 256)``.
        pools (Sequence[bool | int | Sequence[int]], optional): The max-pool
            after each block: False (or 0) for none, True for kernel (and
            stride) 2 in every dimension, an int or a per-dimension tuple for
            that kernel (= stride), e.g. ``(1, 2, 2)`` for a 3D pool that
            keeps time. Defaults to None, meaning True for every block but
            the last.
        kernel_size (int | Sequence[int]): Kernel of every convolution, odd
            (same padding). Defaults to 3.
        out_indices (int | Sequence[int]): Blocks whose outputs are returned;
            negative indices count from the end. Defaults to -1.
        conv_cfg (dict): Config of the convolutions, ``dict(type='Conv2d')``
            or ``dict(type='Conv3d')``. Defaults to ``dict(type='Conv2d')``.
        norm_cfg (dict): Config of the normalisation layers, matching the
            convolutions (``BN`` / ``BN3d``). Defaults to ``dict(type='BN')``.
        act_cfg (dict): Config of the activation layers.
            Defaults to ``dict(type='ReLU')``.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to Xavier-uniform convolutions (the Keras default the
            authors used) and unit BatchNorm weights.
    """

    def __init__(self,
                 in_channels: int = 3,
                 widths: Sequence[int] = (32, 64, 128, 256, 256),
                 pools: Optional[Sequence[PoolSpec]] = None,
                 kernel_size: Union[int, Sequence[int]] = 3,
                 out_indices: Union[int, Sequence[int]] = -1,
                 conv_cfg: dict = dict(type='Conv2d'),
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'),
                 init_cfg: Optional[Union[dict, list]] = [
                     dict(
                         type='Xavier',
                         layer=['Conv2d', 'Conv3d'],
                         distribution='uniform'),
                     dict(type='Constant', val=1, layer='_BatchNorm')
                 ]):
        super().__init__(init_cfg=init_cfg)
        num_blocks = len(widths)
        if num_blocks == 0:
            raise ValueError('GlamorEncoder: `widths` must not be empty.')
        if pools is None:
            pools = [True] * (num_blocks - 1) + [False]
        if len(pools) != num_blocks:
            raise ValueError(
                f'GlamorEncoder: `pools` has {len(pools)} entries but '
                f'`widths` has {num_blocks}; give one entry per block.')
        if isinstance(out_indices, int):
            out_indices = [out_indices]
        self.out_indices = []
        for index in out_indices:
            if not -num_blocks <= index < num_blocks:
                raise ValueError(
                    f'GlamorEncoder: out index {index} is out of range for '
                    f'{num_blocks} blocks.')
            self.out_indices.append(index % num_blocks)
        kernels = (kernel_size, ) if isinstance(kernel_size,
                                                int) else tuple(kernel_size)
        if any(k % 2 == 0 for k in kernels):
            raise ValueError(
                f'GlamorEncoder: kernel_size {kernel_size} must be odd (the '
                'blocks use same padding).')
        padding = tuple(k // 2 for k in kernels)
        padding = padding[0] if isinstance(kernel_size, int) else padding

        self.blocks = nn.ModuleList()
        for width, pool in zip(widths, pools):
            # The conv keeps its bias although BN follows (as in the authors'
            # Keras model), so parameter counts match theirs.
            conv = build_conv_layer(
                conv_cfg, in_channels, width, kernel_size, padding=padding)
            layers = OrderedDict(
                conv=conv,
                bn=build_norm_layer(norm_cfg, width)[1],
                act=build_activation_layer(act_cfg))
            if pool is not False and pool != 0:
                dims = conv.weight.dim() - 2
                if dims not in MAX_POOLS:
                    raise ValueError(
                        f'GlamorEncoder: no max-pool for {dims}D '
                        f'convolutions ({conv_cfg}); use Conv2d or Conv3d.')
                size = 2 if pool is True else pool
                layers['pool'] = MAX_POOLS[dims](kernel_size=size, stride=size)
            self.blocks.append(nn.Sequential(layers))
            in_channels = width

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Encode a batch of images or clips.

        Args:
            x (Tensor): Images (N, in_channels, H, W) for 2D convolutions,
                clips (N, in_channels, T, H, W) for 3D ones.

        Returns:
            tuple[Tensor]: The output of each block in ``out_indices``, shape
            (N, widths[i], H', W') or (N, widths[i], T', H', W'): every size
            divided (rounding down) by the pool kernels up to block i.
        """
        outs = []
        for i, block in enumerate(self.blocks):
            x = block(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
