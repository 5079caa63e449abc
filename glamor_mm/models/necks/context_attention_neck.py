"""Context attention of CAER-Net-S (CAER-Net paper Sec. 3.2.1)."""
from typing import Optional, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmpretrain.registry import MODELS

from .base_two_view_neck import BaseTwoViewNeck


@MODELS.register_module()
class ContextAttentionNeck(BaseTwoViewNeck):
    """Attention inferred from the context map alone (CAER-Net eq. 3-4).

    The attention inference module is two 3x3 convolutions producing 128 and
    1 channels, each followed by BN and ReLU (as the CAER-Net paper states).
    Its output A (N×1×H×W) is soft-maxed over the H·W locations (eq. 3),
    multiplied element-wise with the context map (eq. 4) and the result is
    spatially averaged: ``v_c = (1 / HW) Σ_ij a_ij · v_ij``. Note the 1/HW
    factor that GLA (a plain weighted sum) does not have. The face map is
    only globally averaged; it does not influence the attention.

    Args:
        context_channels (int): Channels Cc of the context map.
            Defaults to 256.
        hidden_channels (int): Channels of the first attention conv.
            Defaults to 128.
        kernel_size (int): Kernel size of both attention convs.
            Defaults to 3.
        norm_cfg (dict): Norm after each attention conv.
            Defaults to ``dict(type='BN')``.
        act_cfg (dict): Activation after each attention conv.
            Defaults to ``dict(type='ReLU')``.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to Xavier-uniform convs and unit BN weights.
    """

    def __init__(self,
                 context_channels: int = 256,
                 hidden_channels: int = 128,
                 kernel_size: int = 3,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'),
                 init_cfg: Optional[dict] = [
                     dict(
                         type='Xavier', layer='Conv2d',
                         distribution='uniform'),
                     dict(type='Constant', val=1, layer='_BatchNorm')
                 ]):
        super().__init__(init_cfg=init_cfg)
        self.context_channels = context_channels
        self.attention = nn.Sequential(*[
            ConvModule(
                in_ch,
                out_ch,
                kernel_size,
                padding=kernel_size // 2,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg)
            for in_ch, out_ch in ((context_channels, hidden_channels),
                                  (hidden_channels, 1))
        ])

    def pool_context(
            self, v_f: Optional[torch.Tensor],
            context_feat: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Attend over the context map by itself.

        Args:
            v_f (Tensor, optional): Face vector (unused).
            context_feat (Tensor): Context map, shape (N, Cc, H, W).

        Returns:
            tuple[Tensor]: ``v_c`` (N, Cc) and the attention map (N, H, W),
            which sums to 1 over H×W for each sample.
        """
        n, c, h, w = context_feat.shape
        if c != self.context_channels:
            raise ValueError(
                f'ContextAttentionNeck was built for {self.context_channels} '
                f'context channels but got {c}; set context_channels to the '
                'context backbone\'s output channels.')
        attn = self.attention(context_feat).flatten(1).softmax(dim=1)
        v_c = (context_feat.flatten(2) * attn.unsqueeze(1)).mean(dim=2)
        return v_c, attn.view(n, h, w)
