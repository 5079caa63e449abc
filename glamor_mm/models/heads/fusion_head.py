"""Fusion module and classifier of GLAMOR-Net (paper Sec. 3.2.3)."""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import build_norm_layer
from mmpretrain.models.heads import ClsHead
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ..utils import ScoreMLP, UniformScoreStartMixin

FUSIONS = ('net', 'add', 'max', 'concat')
BRANCHES = ('face', 'context')


@MODELS.register_module()
class FusionHead(UniformScoreStartMixin, ClsHead):
    """Fuse the face and context vectors and classify them.

    Fusion types:

    - ``'net'`` (paper eq. 6-8, also CAER-Net's adaptive fusion): each branch
      vector is scored by its own FC(128) + ReLU -> FC(1); the two scores are
      soft-maxed into weights (w_f, w_c) that sum to 1; the vectors are
      scaled by their weight and concatenated.
    - ``'add'`` / ``'max'``: element-wise sum / maximum. Both vectors must
      have the same length; no projection layer is added (that would be a
      different model from the paper's), use ``'concat'`` otherwise.
    - ``'concat'``: plain concatenation.

    With ``vector_norm_cfg`` each branch vector is first normalised by its
    own layer (``vector_norms['face']`` / ``vector_norms['context']``) and
    everything after it (fusion weights, fused vector, single-branch
    classifier) uses the normalised vector. This is the ``BatchNorm1d`` on
    the face and context vectors (``fusion_net.face_bn`` / ``context_bn``)
    of the PyTorch CAER-Net-S of github.com/ndkhanh360/CAER; neither paper
    has it.

    The fused vector goes through FC(hidden) -> ReLU -> Dropout ->
    FC(num_classes). With a single branch (paper Table 4 settings i-iii)
    its vector is classified directly and ``fusion`` is not used; a face
    vector computed for GLA guidance is then ignored here.

    Args:
        num_classes (int): Number of classes.
        face_channels (int): Length Cf of v_f. Defaults to 256.
        context_channels (int): Length Cc of v_c. Defaults to 256.
        fusion (str): ``'net'``, ``'add'``, ``'max'`` or ``'concat'``.
            Defaults to ``'net'``.
        branches (Sequence[str]): Branches that enter the fusion, a
            non-empty subset of ``('face', 'context')``.
            Defaults to ``('face', 'context')``.
        fusion_hidden_channels (int): Hidden width of the fusion-weight
            scorers. Defaults to 128.
        hidden_channels (int): Hidden width of the classifier.
            Defaults to 128.
        dropout (float): Dropout probability in the classifier.
            Defaults to 0.5.
        vector_norm_cfg (dict, optional): Norm applied to each branch vector
            before the fusion, e.g. ``dict(type='BN1d')``. Defaults to None
            (no norm).
        uniform_init (bool): Start the last layer of both fusion-weight
            scorers at zero, so that every sample starts at w_f = w_c = 0.5
            instead of a split drawn by the random initialisation. From a
            random split, a model trained in one stage can drift to one
            branch and stay there (paper Sec. 4.2; docs/attention.md).
            Neither paper specifies the initialisation; ``False`` is the
            authors' Keras default. Only for ``fusion='net'`` with both
            branches. Defaults to True.
        init_cfg (dict, optional): Initialisation config. Defaults to
            Xavier-uniform linear layers (the Keras default).
        **kwargs: ``loss``, ``topk`` and ``cal_acc`` of :class:`ClsHead`.
    """

    def __init__(self,
                 num_classes: int,
                 face_channels: int = 256,
                 context_channels: int = 256,
                 fusion: str = 'net',
                 branches: Sequence[str] = BRANCHES,
                 fusion_hidden_channels: int = 128,
                 hidden_channels: int = 128,
                 dropout: float = 0.5,
                 vector_norm_cfg: Optional[dict] = None,
                 uniform_init: bool = True,
                 init_cfg: Optional[dict] = dict(
                     type='Xavier', layer='Linear', distribution='uniform'),
                 **kwargs):
        super().__init__(init_cfg=init_cfg, **kwargs)
        if fusion not in FUSIONS:
            raise ValueError(f'FusionHead: unknown fusion {fusion!r}; '
                             f'choose from {FUSIONS}.')
        branches = tuple(branches)
        unique = len(set(branches)) == len(branches)
        if not branches or not unique or not set(branches) <= set(BRANCHES):
            raise ValueError(
                f'FusionHead: `branches` must be a non-empty subset of '
                f'{BRANCHES} without repeats, got {branches}.')
        self.num_classes = num_classes
        self.fusion = fusion
        self.branches = tuple(b for b in BRANCHES if b in branches)
        channels = dict(face=face_channels, context=context_channels)

        if len(self.branches) == 1:
            in_channels = channels[self.branches[0]]
        elif fusion in ('add', 'max'):
            if face_channels != context_channels:
                raise ValueError(
                    f'FusionHead: fusion={fusion!r} needs vectors of equal '
                    f'length, got face_channels={face_channels} and '
                    f'context_channels={context_channels}; use '
                    "fusion='net' or 'concat' for backbones of different "
                    'widths.')
            in_channels = face_channels
        else:
            in_channels = face_channels + context_channels
        self.vector_norms = nn.ModuleDict({
            branch: build_norm_layer(vector_norm_cfg, channels[branch])[1]
            for branch in self.branches
        } if vector_norm_cfg is not None else {})
        if len(self.branches) == 2 and fusion == 'net':
            self.face_scorer = ScoreMLP(face_channels, fusion_hidden_channels)
            self.context_scorer = ScoreMLP(context_channels,
                                           fusion_hidden_channels)
        self.classifier = nn.Sequential(
            nn.Linear(in_channels, hidden_channels), nn.ReLU(inplace=True),
            nn.Dropout(dropout), nn.Linear(hidden_channels, num_classes))
        self.uniform_init = uniform_init and hasattr(self, 'face_scorer')

    def uniform_start_scorers(self) -> List[ScoreMLP]:
        """Both fusion-weight scorers (zeroed with ``uniform_init``)."""
        return [self.face_scorer, self.context_scorer]

    def fuse(
        self, feats: Tuple[Optional[torch.Tensor], ...]
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Fuse the branch vectors.

        Args:
            feats (tuple): ``(v_f (N, Cf) | None, v_c (N, Cc) | None, ...)``,
                the neck output; further items are ignored.

        Returns:
            tuple: The fused vector (N, D) and, for ``fusion='net'`` with
            both branches, the weights (N, 2) as [w_f, w_c] (else None).
        """
        vectors = dict(zip(BRANCHES, feats[:2]))
        for branch in self.branches:
            if vectors[branch] is None:
                raise ValueError(
                    f'FusionHead uses the {branch} branch but its vector is '
                    'None; run that stream.')
            if branch in self.vector_norms:
                vectors[branch] = self.vector_norms[branch](vectors[branch])
        if len(self.branches) == 1:
            return vectors[self.branches[0]], None
        v_f, v_c = vectors['face'], vectors['context']
        if self.fusion == 'add':
            return v_f + v_c, None
        if self.fusion == 'max':
            return torch.maximum(v_f, v_c), None
        if self.fusion == 'concat':
            return torch.cat([v_f, v_c], dim=1), None
        scores = torch.stack([self.face_scorer(v_f),
                              self.context_scorer(v_c)],
                             dim=1)
        weights = scores.softmax(dim=1)
        fused = torch.cat([v_f * weights[:, :1], v_c * weights[:, 1:]], dim=1)
        return fused, weights

    def pre_logits(self, feats: Tuple[Optional[torch.Tensor],
                                      ...]) -> torch.Tensor:
        """The fused vector, shape (N, D), before the classifier MLP."""
        return self.fuse(feats)[0]

    def forward_with_weights(
        self, feats: Tuple[Optional[torch.Tensor], ...]
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Class logits (N, num_classes) and fusion weights (N, 2) | None."""
        fused, weights = self.fuse(feats)
        return self.classifier(fused), weights

    def forward(self, feats: Tuple[Optional[torch.Tensor],
                                   ...]) -> torch.Tensor:
        """Class logits, shape (N, num_classes)."""
        return self.forward_with_weights(feats)[0]

    def loss(self, feats: Tuple[Optional[torch.Tensor], ...],
             data_samples: List[DataSample], **kwargs) -> dict:
        """Classification loss plus logged fusion-weight means.

        Returns:
            dict[str, Tensor]: ``loss`` (and accuracy if ``cal_acc``); with
            fusion weights also ``fusion_w_face`` / ``fusion_w_context``, the
            batch means of w_f / w_c (detached, logged only).
        """
        cls_score, weights = self.forward_with_weights(feats)
        losses = self._get_loss(cls_score, data_samples, **kwargs)
        if weights is not None:
            mean_weights = weights.detach().mean(dim=0)
            losses['fusion_w_face'] = mean_weights[0]
            losses['fusion_w_context'] = mean_weights[1]
        return losses

    def predict(
        self,
        feats: Tuple[Optional[torch.Tensor], ...],
        data_samples: Optional[List[Optional[DataSample]]] = None
    ) -> List[DataSample]:
        """Predict classes; also store ``fusion_weights`` ([w_f, w_c]).

        Returns:
            list[DataSample]: With ``pred_score``, ``pred_label`` and, for
            the fusion network, ``fusion_weights`` (tensor of shape (2,)).
        """
        cls_score, weights = self.forward_with_weights(feats)
        predictions = self._get_predictions(cls_score, data_samples)
        if weights is not None:
            for sample, weight in zip(predictions, weights.detach()):
                sample.set_field(weight, 'fusion_weights')
        return predictions
