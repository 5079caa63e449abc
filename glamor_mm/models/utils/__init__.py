from .mmaction_models import import_mmaction_models
from .pretrained_init import StrictPretrainedInit, loads_pretrained
from .score_mlp import ScoreMLP
from .two_view_data_preprocessor import TwoViewDataPreprocessor
from .uniform_score_start import UniformScoreStartMixin

__all__ = [
    'ScoreMLP', 'StrictPretrainedInit', 'TwoViewDataPreprocessor',
    'UniformScoreStartMixin', 'import_mmaction_models', 'loads_pretrained'
]
