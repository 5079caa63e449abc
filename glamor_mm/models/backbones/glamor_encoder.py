"""The GLAMOR-Net encoding module (paper Sec. 3.2.1, Fig. 3)."""
from collections import OrderedDict
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmcv.cnn import build_activation_layer, build_norm_layer
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from mmpretrain.registry import MODELS


@MODELS.register_module()
class GlamorEncoder(BaseBackbone):
    """Plain conv encoder of GLAMOR-Net and CAER-Net-S.

    Each block is a 3x3 convolution (stride 1, same padding, with bias) +
    BatchNorm + ReLU, followed by a 2x2 max-pool where ``pools`` says so.
    With the defaults (widths 32-64-128-256-256, no pool after the last
    block) a 96x96 face gives a 256x6x6 map and a 112x112 context gives a
    256x7x7 map, as in the authors' code.

    Args:
        in_channels (int): Channels of the input image. Defaults to 3.
        widths (Sequence[int]): Output channels of each block; the number of
            blocks is ``len(widths)``. Defaults to ``(32, 64, 128, 256, 256)``.
        pools (Sequence[bool], optional): Whether each block ends with a 2x2
            max-pool. Defaults to None, meaning every block but the last.
        out_indices (int | Sequence[int]): Blocks whose outputs are returned;
            negative indices count from the end. Defaults to -1.
        norm_cfg (dict): Config of the normalisation layers.
            Defaults to ``dict(type='BN')``.
        act_cfg (dict): Config of the activation layers.
            Defaults to ``dict(type='ReLU')``.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to Xavier-uniform convolutions (the Keras default the
            authors used) and unit BatchNorm weights.
    """

    def __init__(self,
                 in_channels: int = 3,
                 widths: Sequence[int] = (32, 64, 128, 256, 256),
                 pools: Optional[Sequence[bool]] = None,
                 out_indices: Union[int, Sequence[int]] = -1,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'),
                 init_cfg: Optional[Union[dict, list]] = [
                     dict(
                         type='Xavier', layer='Conv2d',
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
                f'`widths` has {num_blocks}; give one flag per block.')
        if isinstance(out_indices, int):
            out_indices = [out_indices]
        self.out_indices = []
        for index in out_indices:
            if not -num_blocks <= index < num_blocks:
                raise ValueError(
                    f'GlamorEncoder: out index {index} is out of range for '
                    f'{num_blocks} blocks.')
            self.out_indices.append(index % num_blocks)

        self.blocks = nn.ModuleList()
        for width, pool in zip(widths, pools):
            # The conv keeps its bias although BN follows (as in the authors'
            # Keras model), so parameter counts match theirs.
            layers = OrderedDict(
                conv=nn.Conv2d(in_channels, width, kernel_size=3, padding=1),
                bn=build_norm_layer(norm_cfg, width)[1],
                act=build_activation_layer(act_cfg))
            if pool:
                layers['pool'] = nn.MaxPool2d(kernel_size=2, stride=2)
            self.blocks.append(nn.Sequential(layers))
            in_channels = width

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Encode an image batch.

        Args:
            x (Tensor): Images, shape (N, in_channels, H, W).

        Returns:
            tuple[Tensor]: The output of each block in ``out_indices``,
            shape (N, widths[i], H / 2^p, W / 2^p) with p the number of
            pools up to and including block i (rounded down at each pool).
        """
        outs = []
        for i, block in enumerate(self.blocks):
            x = block(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)
