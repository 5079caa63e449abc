"""All-convolutional classifier head: class conv, then global pooling."""
from typing import Optional, Tuple

import torch
import torch.nn as nn
from mmpretrain.models.heads import ClsHead
from mmpretrain.registry import MODELS


@MODELS.register_module()
class ConvPoolClsHead(ClsHead):
    """Classify a feature map by a convolution to ``num_classes`` channels
    and global average pooling (mini-Xception's classifier).

    The convolution comes first: with zero padding at the borders this is
    not the same as pooling first and applying a linear layer, so a
    pooling neck plus ``LinearClsHead`` cannot hold these weights.

    Args:
        num_classes (int): Number of classes.
        in_channels (int): Channels of the feature map.
        kernel_size (int): Kernel of the class convolution (odd; same
            padding). Defaults to 3.
        init_cfg (dict, optional): Initialisation config. Defaults to a
            Kaiming-initialised convolution.
        **kwargs: ``loss``, ``topk``, ``cal_acc`` of :class:`ClsHead`.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 kernel_size: int = 3,
                 init_cfg: Optional[dict] = dict(
                     type='Kaiming', layer='Conv2d'),
                 **kwargs) -> None:
        super().__init__(init_cfg=init_cfg, **kwargs)
        if num_classes <= 0:
            raise ValueError(f'ConvPoolClsHead: num_classes={num_classes} '
                             'must be positive.')
        if kernel_size % 2 == 0:
            raise ValueError(f'ConvPoolClsHead: kernel_size={kernel_size} '
                             'must be odd (same padding).')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.conv = nn.Conv2d(
            in_channels, num_classes, kernel_size, padding=kernel_size // 2)

    def forward(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """Logits of the last feature map.

        Args:
            feats (tuple[Tensor]): Backbone outputs; the last one, shape
                (N, in_channels, H, W), is classified.

        Returns:
            Tensor: Logits, shape (N, num_classes).
        """
        return self.conv(self.pre_logits(feats)).mean(dim=(2, 3))
