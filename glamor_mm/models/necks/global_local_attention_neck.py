"""Global-Local Attention module of GLAMOR-Net (paper Sec. 3.2.2)."""
from typing import List, Optional, Tuple

import torch
from mmpretrain.registry import MODELS

from ..utils import ScoreMLP, UniformScoreStartMixin
from .base_two_view_neck import BaseTwoViewNeck, location_softmax


@MODELS.register_module()
class GlobalLocalAttentionNeck(UniformScoreStartMixin, BaseTwoViewNeck):
    """Context attention guided by the face vector (paper eq. 3-5).

    For every context location (i, j) the vector [v_f; v_ij] is scored by
    FC(hidden) + ReLU -> FC(1) with weights shared over locations
    (s_ij), the scores are soft-maxed over all H·W locations (a_ij, eq. 4)
    and ``v_c = Σ_ij a_ij · v_ij`` (eq. 5).

    On clips (beyond the paper) v_f is the face clip's vector (its map
    averaged over time and space) and it scores every spatio-temporal
    location (t, i, j) of the context clip map:

    - ``softmax_over='space_time'`` (default): the scores are soft-maxed over
      all T·H·W locations and ``v_c = Σ_tij a_tij · v_tij``, eq. 4-5 with
      time as one more location axis. The attention can pick the moment
      that carries the cue (a context event in a few frames) as well as the
      place.
    - ``softmax_over='space'``: each time step is soft-maxed over its H·W
      locations (as CAER-Net's eq. 3) and the per-step vectors are averaged,
      ``v_c = (1 / T) Σ_t Σ_ij a_tij · v_tij``: every time step weighs the
      same.

    Either way v_c is a convex combination of context features.

    Args:
        face_channels (int): Channels Cf of the face map. Defaults to 256.
        context_channels (int): Channels Cc of the context map.
            Defaults to 256.
        hidden_channels (int): Width of the scorer's hidden layer.
            Defaults to 128.
        softmax_over (str): ``'space_time'`` or ``'space'``, for clip maps
            (see above); image maps are the same either way.
            Defaults to ``'space_time'``.
        norm_cfg (dict, optional): Normalisation after the hidden layer, e.g.
            ``dict(type='BN1d')``: the authors' TensorFlow code does
            FC -> ReLU -> BN -> ReLU there (the paper text has no BN).
            Defaults to None.
        uniform_init (bool): Start the last scorer layer at zero, so that
            every score is 0 and the attention starts uniform: at
            initialisation v_c is the global average of the context map, as
            in the model without attention, and the attention grows from
            there. The paper does not specify the initialisation; ``False``
            is the authors' Keras (Xavier) default (docs/attention.md).
            Defaults to True.
        init_cfg (dict, optional): Initialisation config. Defaults to
            Xavier-uniform linear layers (the Keras default).
    """

    context_needs_face = True

    def __init__(self,
                 face_channels: int = 256,
                 context_channels: int = 256,
                 hidden_channels: int = 128,
                 softmax_over: str = 'space_time',
                 norm_cfg: Optional[dict] = None,
                 uniform_init: bool = True,
                 init_cfg: Optional[dict] = dict(
                     type='Xavier', layer='Linear', distribution='uniform')):
        super().__init__(init_cfg=init_cfg)
        location_softmax(torch.zeros(1, 1, 1), softmax_over)  # validate
        self.face_channels = face_channels
        self.context_channels = context_channels
        self.softmax_over = softmax_over
        self.scorer = ScoreMLP(face_channels + context_channels,
                               hidden_channels, norm_cfg)
        self.uniform_init = uniform_init

    def uniform_start_scorers(self) -> List[ScoreMLP]:
        """The attention scorer (zeroed with ``uniform_init``)."""
        return [self.scorer]

    def pool_context(
            self, v_f: torch.Tensor,
            context_feat: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Attend over the context map with the face vector.

        Args:
            v_f (Tensor): Face vector, shape (N, Cf).
            context_feat (Tensor): Context map, shape (N, Cc, H, W) or
                (N, Cc, T, H, W).

        Returns:
            tuple[Tensor]: ``v_c`` (N, Cc) and the attention map a, shape
            (N, H, W) or (N, T, H, W), which sums to 1 over all locations of
            each sample (over H×W for each time step with
            ``softmax_over='space'``).
        """
        self._check_attention_map(context_feat)
        n, c = context_feat.shape[:2]
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
        locations = context_feat.shape[2:]
        regions = context_feat.flatten(2).transpose(1, 2)  # N, L, Cc
        pairs = torch.cat(
            [v_f.unsqueeze(1).expand(-1, regions.size(1), -1), regions], dim=2)
        scores = self.scorer(pairs).view(n, *locations)
        attn = location_softmax(scores, self.softmax_over)
        # weights of the convex combination: a, or a / T for per-step softmax
        weights = attn.flatten(1)
        if self.softmax_over == 'space' and len(locations) == 3:
            weights = weights / locations[0]
        v_c = torch.bmm(weights.unsqueeze(1), regions).squeeze(1)
        return v_c, attn
