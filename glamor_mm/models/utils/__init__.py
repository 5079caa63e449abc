from .mmaction_models import import_mmaction_models
from .pretrained_init import StrictPretrainedInit, loads_pretrained
from .score_mlp import ScoreMLP
from .two_view_data_preprocessor import TwoViewDataPreprocessor

__all__ = [
    'ScoreMLP', 'StrictPretrainedInit', 'TwoViewDataPreprocessor',
    'import_mmaction_models', 'loads_pretrained'
]
