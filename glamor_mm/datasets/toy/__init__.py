"""Built-in synthetic data: toy CAER-S scenes and toy CAER videos whose
labels are written by known cues, for tests, quick starts and ablations."""
from .caer_videos import generate_toy_caer_videos, toy_video_best_accuracy
from .caers import (generate_toy_caers, guided_best_accuracy,
                    toy_best_accuracy)
from .guided_videos import guided_video_best_accuracy

__all__ = [
    'generate_toy_caer_videos', 'generate_toy_caers', 'guided_best_accuracy',
    'guided_video_best_accuracy', 'toy_best_accuracy',
    'toy_video_best_accuracy'
]
