from .glamor_classifier import GlamorClassifier

__all__ = ['GlamorClassifier']
