from .base_two_view_neck import BaseTwoViewNeck
from .context_attention_neck import ContextAttentionNeck
from .global_average_pooling_two_view_neck import \
    GlobalAveragePoolingTwoViewNeck
from .global_local_attention_neck import GlobalLocalAttentionNeck

__all__ = [
    'BaseTwoViewNeck', 'ContextAttentionNeck',
    'GlobalAveragePoolingTwoViewNeck', 'GlobalLocalAttentionNeck'
]
