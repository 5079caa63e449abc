from .glamor_encoder import GlamorEncoder

__all__ = ['GlamorEncoder']
