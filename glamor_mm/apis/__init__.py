from .face_detection import (detect_faces, init_face_detector,
                             keep_default_scope, select_face)
from .face_score_tracker import FaceScoreTracker
from .glamor_inferencer import GlamorInferencer
from .video_frames import read_video_frames

__all__ = [
    'init_face_detector', 'detect_faces', 'keep_default_scope', 'select_face',
    'GlamorInferencer', 'FaceScoreTracker', 'read_video_frames'
]
