from .glamor_encoder import GlamorEncoder
from .mini_xception import MiniXception

__all__ = ['GlamorEncoder', 'MiniXception']
