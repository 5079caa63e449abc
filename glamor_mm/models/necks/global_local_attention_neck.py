"""Global-Local Attention module of GLAMOR-Net (paper Sec. 3.2.2)."""
from typing import Optional, Tuple

import torch
import torch.nn as nn
from mmpretrain.registry import MODELS

from ..utils import ScoreMLP
from .base_two_view_neck import BaseTwoViewNeck


@MODELS.register_module()
class GlobalLocalAttentionNeck(BaseTwoViewNeck):
    """Context attention guided by the face vector (paper eq. 3-5).

    For every context location (i, j) the vector [v_f; v_ij] is scored by
    FC(hidden) + ReLU -> FC(1) with weights shared over locations
    (s_ij), the scores are soft-maxed over all H·W locations (a_ij, eq. 4)
    and ``v_c = Σ_ij a_ij · v_ij`` (eq. 5).

    Args:
        face_channels (int): Channels Cf of the face map. Defaults to 256.
        context_channels (int): Channels Cc of the context map.
            Defaults to 256.
        hidden_channels (int): Width of the scorer's hidden layer.
            Defaults to 128.
        norm_cfg (dict, optional): Normalisation after the hidden layer, e.g.
            ``dict(type='BN1d')``: the authors' TensorFlow code does
            FC -> ReLU -> BN -> ReLU there (the paper text has no BN).
            Defaults to None.
        uniform_init (bool): Start the last scorer layer at zero, so that
            every score is 0 and the attention starts uniform: at
            initialisation v_c is the global average of the context map, as
            in the model without attention, and the attention grows from
            there. Neither the paper nor the authors' code (Keras' Xavier
            default) does this; it keeps single-stage training from falling
            below the model without attention (docs/attention.md).
            Defaults to False.
        init_cfg (dict, optional): Initialisation config. Defaults to
            Xavier-uniform linear layers (the Keras default).
    """

    context_needs_face = True

    def __init__(self,
                 face_channels: int = 256,
                 context_channels: int = 256,
                 hidden_channels: int = 128,
                 norm_cfg: Optional[dict] = None,
                 uniform_init: bool = False,
                 init_cfg: Optional[dict] = dict(
                     type='Xavier', layer='Linear', distribution='uniform')):
        super().__init__(init_cfg=init_cfg)
        self.face_channels = face_channels
        self.context_channels = context_channels
        self.scorer = ScoreMLP(face_channels + context_channels,
                               hidden_channels, norm_cfg)
        self.uniform_init = uniform_init

    def init_weights(self) -> None:
        """Initialise by ``init_cfg``, then zero the last scorer layer if
        ``uniform_init``."""
        super().init_weights()
        if self.uniform_init:
            nn.init.zeros_(self.scorer.fc2.weight)
            nn.init.zeros_(self.scorer.fc2.bias)

    def pool_context(
            self, v_f: torch.Tensor,
            context_feat: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Attend over the context map with the face vector.

        Args:
            v_f (Tensor): Face vector, shape (N, Cf).
            context_feat (Tensor): Context map, shape (N, Cc, H, W).

        Returns:
            tuple[Tensor]: ``v_c`` (N, Cc) and the attention map a (N, H, W),
            which sums to 1 over H×W for each sample.
        """
        n, c, h, w = context_feat.shape
        if (v_f.size(1), c) != (self.face_channels, self.context_channels):
            raise ValueError(
                f'GlobalLocalAttentionNeck was built for face/context '
                f'channels ({self.face_channels}, {self.context_channels}) '
                f'but got ({v_f.size(1)}, {c}); set face_channels and '
                'context_channels to the backbones\' output channels.')
        if v_f.size(0) != n:
            raise ValueError(
                f'GlobalLocalAttentionNeck: {v_f.size(0)} face vectors for '
                f'{n} context maps.')
        regions = context_feat.flatten(2).transpose(1, 2)  # N, H*W, Cc
        pairs = torch.cat([v_f.unsqueeze(1).expand(-1, h * w, -1), regions],
                          dim=2)
        attn = self.scorer(pairs).softmax(dim=1)  # N, H*W
        v_c = torch.bmm(attn.unsqueeze(1), regions).squeeze(1)
        return v_c, attn.view(n, h, w)
