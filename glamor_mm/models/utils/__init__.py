from .mmaction_models import import_mmaction_models
from .score_mlp import ScoreMLP
from .two_view_data_preprocessor import TwoViewDataPreprocessor

__all__ = ['ScoreMLP', 'TwoViewDataPreprocessor', 'import_mmaction_models']
