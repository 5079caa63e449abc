"""Common interface of the necks that turn two feature maps into vectors."""
from abc import ABCMeta, abstractmethod
from typing import Optional, Tuple

import torch
from mmengine.model import BaseModule

SOFTMAX_OVER = ('space', 'space_time')


def location_softmax(scores: torch.Tensor, over: str) -> torch.Tensor:
    """Soft-max attention scores over the locations of a map.

    Args:
        scores (Tensor): One score per location, shape (N, H, W) for an image
            map or (N, T, H, W) for a clip map.
        over (str): ``'space'`` normalises each time step over its H·W
            locations (CAER-Net eq. 3: "only across spatial axes, not the
            temporal axis"); ``'space_time'`` normalises over all T·H·W
            locations. Both are the same for an image map.

    Returns:
        Tensor: The attention, shape of ``scores``; it sums to 1 over H×W for
        each sample and time step (``'space'``) or over T×H×W for each sample
        (``'space_time'``).
    """
    if over not in SOFTMAX_OVER:
        raise ValueError(f'Unknown softmax_over {over!r}; choose from '
                         f'{SOFTMAX_OVER}.')
    per_step = over == 'space' and scores.dim() == 4
    flat = scores.flatten(2) if per_step else scores.flatten(1)
    return flat.softmax(dim=-1).view_as(scores)


def global_mean(feat: torch.Tensor) -> torch.Tensor:
    """Average a map (N, C, *S) over its locations; vectors (N, C) stay."""
    return feat if feat.dim() == 2 else feat.flatten(2).mean(dim=2)


class BaseTwoViewNeck(BaseModule, metaclass=ABCMeta):
    """Reduce a face map and a context map to the vectors v_f and v_c.

    The maps are image maps (N, C, H, W) or clip maps (N, C, T, H, W); a
    backbone that already pools (e.g. MMAction2's ``C3D``, which ends in its
    fc7 layer) gives vectors (N, C), which the pooling neck passes through.
    The face vector is always the global average of the face map over all
    its locations (paper Sec. 3.2.2, ``v_f``). Subclasses decide how the
    context map is reduced (:meth:`pool_context`). Either map may be None
    when the classifier does not run that stream; the matching output is
    then None.

    Attributes:
        context_needs_face (bool): Whether :meth:`pool_context` uses v_f,
            i.e. whether the face stream must run even when only the context
            vector is classified (paper Table 4, settings ii/iii).
    """

    context_needs_face: bool = False

    def forward(
        self, face_feat: Optional[torch.Tensor],
        context_feat: Optional[torch.Tensor]
    ) -> Tuple[Optional[torch.Tensor], Optional[torch.Tensor],
               Optional[torch.Tensor]]:
        """Reduce both maps.

        Args:
            face_feat (Tensor, optional): Face map, shape (N, Cf, *S) with S
                = (Hf, Wf), (Tf, Hf, Wf) or () .
            context_feat (Tensor, optional): Context map, shape (N, Cc, *S).

        Returns:
            tuple: ``v_f`` (N, Cf) or None, ``v_c`` (N, Cc) or None, and the
            attention map (N, *S) of the context, or None without attention
            or context.
        """
        v_f = None
        if face_feat is not None:
            self._check_map('face', face_feat)
            v_f = global_mean(face_feat)
        if context_feat is None:
            return v_f, None, None
        self._check_map('context', context_feat)
        if self.context_needs_face and v_f is None:
            raise ValueError(
                f'{type(self).__name__} attends over the context with the '
                'face vector, so it needs the face feature map too.')
        v_c, attn = self.pool_context(v_f, context_feat)
        return v_f, v_c, attn

    @staticmethod
    def _check_map(view: str, feat: torch.Tensor) -> None:
        """Raise a clear error if ``feat`` is not an N×C(×T)×H×W map or an
        N×C vector batch."""
        if not isinstance(feat, torch.Tensor) or feat.dim() not in (2, 4, 5):
            shape = tuple(feat.shape) if isinstance(feat, torch.Tensor) \
                else type(feat).__name__
            raise ValueError(
                f'Expected the {view} feature map as an N×C×H×W or '
                f'N×C×T×H×W tensor (or N×C vectors), got {shape}.')

    def _check_attention_map(self, context_feat: torch.Tensor) -> None:
        """Raise a clear error if an attention neck gets vectors."""
        if context_feat.dim() == 2:
            raise ValueError(
                f'{type(self).__name__} attends over the locations of the '
                'context map but the context backbone gives vectors of shape '
                f'{tuple(context_feat.shape)} (e.g. MMAction2 C3D); use '
                'GlobalAveragePoolingTwoViewNeck or a backbone that keeps '
                'its feature map.')

    @abstractmethod
    def pool_context(
        self, v_f: Optional[torch.Tensor], context_feat: torch.Tensor
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Reduce the context map to v_c.

        Args:
            v_f (Tensor, optional): Face vector, shape (N, Cf).
            context_feat (Tensor): Context map, shape (N, Cc, *S).

        Returns:
            tuple: ``v_c`` (N, Cc) and the attention map (N, *S) or None.
        """
