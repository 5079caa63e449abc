from .clip_accuracy import ClipAccuracy
from .prediction_dump import PredictionDump, load_prediction_dump
from .stuart_maxwell import StuartMaxwellResult, chi2_sf, stuart_maxwell

__all__ = [
    'ClipAccuracy', 'PredictionDump', 'load_prediction_dump',
    'StuartMaxwellResult', 'chi2_sf', 'stuart_maxwell'
]
