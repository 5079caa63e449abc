from .conv_pool_cls_head import ConvPoolClsHead
from .fusion_head import FusionHead

__all__ = ['ConvPoolClsHead', 'FusionHead']
