from glamor_mm.models.detectors import keep_default_scope
from .face_clip_tracker import FaceClipTracker
from .face_detection import detect_faces, init_face_detector, select_face
from .face_score_tracker import FaceScoreTracker
from .face_tracks import (fill_face_track, link_face_tracks, match_by_iou,
                          select_main_track)
from .glamor_inferencer import GlamorInferencer
from .image_files import read_image
from .input_failures import InputFailures, TooManyFailuresError
from .video_frames import read_video_frames

__all__ = [
    'init_face_detector', 'detect_faces', 'keep_default_scope', 'select_face',
    'GlamorInferencer', 'FaceScoreTracker', 'read_video_frames',
    'FaceClipTracker', 'fill_face_track', 'link_face_tracks', 'match_by_iou',
    'select_main_track', 'read_image', 'InputFailures', 'TooManyFailuresError'
]
