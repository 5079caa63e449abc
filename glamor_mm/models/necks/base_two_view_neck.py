"""Common interface of the necks that turn two feature maps into vectors."""
from abc import ABCMeta, abstractmethod
from typing import Optional, Tuple

import torch
from mmengine.model import BaseModule


class BaseTwoViewNeck(BaseModule, metaclass=ABCMeta):
    """Reduce a face map and a context map to the vectors v_f and v_c.

    The face vector is always the global average of the face map (paper
    Sec. 3.2.2, ``v_f``). Subclasses decide how the context map is reduced
    (:meth:`pool_context`). Either map may be None when the classifier does
    not run that stream; the matching output is then None.

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
            face_feat (Tensor, optional): Face map, shape (N, Cf, Hf, Wf).
            context_feat (Tensor, optional): Context map, shape
                (N, Cc, H, W).

        Returns:
            tuple: ``v_f`` (N, Cf) or None, ``v_c`` (N, Cc) or None, and the
            attention map (N, H, W), or None without attention or context.
        """
        v_f = None
        if face_feat is not None:
            self._check_map('face', face_feat)
            v_f = face_feat.mean(dim=(2, 3))
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
        """Raise a clear error if ``feat`` is not an N×C×H×W map."""
        if not isinstance(feat, torch.Tensor) or feat.dim() != 4:
            shape = tuple(feat.shape) if isinstance(feat, torch.Tensor) \
                else type(feat).__name__
            raise ValueError(
                f'Expected the {view} feature map as an N×C×H×W tensor, '
                f'got {shape}.')

    @abstractmethod
    def pool_context(
        self, v_f: Optional[torch.Tensor], context_feat: torch.Tensor
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Reduce the context map to v_c.

        Args:
            v_f (Tensor, optional): Face vector, shape (N, Cf).
            context_feat (Tensor): Context map, shape (N, Cc, H, W).

        Returns:
            tuple: ``v_c`` (N, Cc) and the attention map (N, H, W) or None.
        """
