"""Context attention of CAER-Net-S and CAER-Net (CAER-Net paper Sec. 3.2.1)."""
from typing import Optional, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import ConvModule
from mmpretrain.registry import MODELS

from .base_two_view_neck import BaseTwoViewNeck, location_softmax


@MODELS.register_module()
class ContextAttentionNeck(BaseTwoViewNeck):
    """Attention inferred from the context map alone (CAER-Net eq. 3-4).

    The attention inference module is two convolutions producing 128 and 1
    channels, each followed by BN and ReLU (as the CAER-Net paper states):
    3x3 convs on an image map (CAER-Net-S), 3x3x3 convs on a clip map
    (CAER-Net: ``conv_cfg=dict(type='Conv3d')``, ``norm_cfg=dict(type=
    'BN3d')``). Its output A (N×1×H×W or N×1×T×H×W) is soft-maxed over the
    spatial locations, separately for each time step of a clip (eq. 3, the
    paper's ``softmax_over='space'``), multiplied element-wise with the
    context map (eq. 4) and the result is averaged over all locations:
    ``v_c = (1 / THW) Σ_tij a_tij · v_tij`` (T = 1 for images). Note the
    1/THW factor that GLA (a weighted sum) does not have. The face map is
    only globally averaged; it does not influence the attention.

    Args:
        context_channels (int): Channels Cc of the context map.
            Defaults to 256.
        hidden_channels (int): Channels of the first attention conv.
            Defaults to 128.
        kernel_size (int): Kernel size of both attention convs.
            Defaults to 3.
        softmax_over (str): ``'space'`` (each time step over its H·W
            locations, the paper) or ``'space_time'`` (over all T·H·W
            locations of a clip). Same for images. Defaults to ``'space'``.
        conv_cfg (dict): Attention convs, ``dict(type='Conv2d')`` for image
            maps or ``dict(type='Conv3d')`` for clip maps.
            Defaults to ``dict(type='Conv2d')``.
        norm_cfg (dict): Norm after each attention conv (``BN`` / ``BN3d``).
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
                 softmax_over: str = 'space',
                 conv_cfg: dict = dict(type='Conv2d'),
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'),
                 init_cfg: Optional[dict] = [
                     dict(
                         type='Xavier',
                         layer=['Conv2d', 'Conv3d'],
                         distribution='uniform'),
                     dict(type='Constant', val=1, layer='_BatchNorm')
                 ]):
        super().__init__(init_cfg=init_cfg)
        location_softmax(torch.zeros(1, 1, 1), softmax_over)  # validate
        self.context_channels = context_channels
        self.softmax_over = softmax_over
        self.attention = nn.Sequential(*[
            ConvModule(
                in_ch,
                out_ch,
                kernel_size,
                padding=kernel_size // 2,
                conv_cfg=conv_cfg,
                norm_cfg=norm_cfg,
                act_cfg=act_cfg)
            for in_ch, out_ch in ((context_channels, hidden_channels),
                                  (hidden_channels, 1))
        ])
        self.map_dims = self.attention[0].conv.weight.dim() - 2

    def pool_context(
            self, v_f: Optional[torch.Tensor],
            context_feat: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Attend over the context map by itself.

        Args:
            v_f (Tensor, optional): Face vector (unused).
            context_feat (Tensor): Context map, shape (N, Cc, H, W) or
                (N, Cc, T, H, W).

        Returns:
            tuple[Tensor]: ``v_c`` (N, Cc) and the attention map (N, H, W)
            or (N, T, H, W), which sums to 1 over H×W for each sample (and
            time step, with ``softmax_over='space'``).
        """
        self._check_attention_map(context_feat)
        c = context_feat.size(1)
        if c != self.context_channels:
            raise ValueError(
                f'ContextAttentionNeck was built for {self.context_channels} '
                f'context channels but got {c}; set context_channels to the '
                'context backbone\'s output channels.')
        if context_feat.dim() - 2 != self.map_dims:
            raise ValueError(
                f'ContextAttentionNeck was built with {self.map_dims}D convs '
                f'but got a context map of shape {tuple(context_feat.shape)};'
                " use conv_cfg=dict(type='Conv3d'), norm_cfg=dict(type="
                "'BN3d') for clips, the defaults for images.")
        scores = self.attention(context_feat).squeeze(1)
        attn = location_softmax(scores, self.softmax_over)
        v_c = (context_feat * attn.unsqueeze(1)).flatten(2).mean(dim=2)
        return v_c, attn
