from .attention_mass import attention_mass_on_masks
from .clip_accuracy import ClipAccuracy
from .prediction_dump import (PredictionDump, dump_array, load_dump_results,
                              load_prediction_dump)
from .stuart_maxwell import StuartMaxwellResult, stuart_maxwell

__all__ = [
    'attention_mass_on_masks', 'ClipAccuracy', 'PredictionDump', 'dump_array',
    'load_dump_results', 'load_prediction_dump', 'StuartMaxwellResult',
    'stuart_maxwell'
]
