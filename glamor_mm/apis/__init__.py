from .face_clip_tracker import FaceClipTracker
from .face_detection import detect_faces, init_face_detector, select_face
from .face_score_tracker import FaceScoreTracker
from .face_tracker import FaceTrack, FaceTracker, match_by_iou
from .face_tracks import fill_face_track, link_face_tracks, select_main_track
from .glamor_inferencer import GlamorInferencer
from .image_files import read_image
from .input_failures import InputFailures, TooManyFailuresError
from .video_face_recognizer import VideoFaceRecognizer
from .video_frames import read_video_frames
from .video_pipeline import (PipelineStats, ProgressReporter, StageTimer,
                             has_display, run_video_pipeline, summary_line)
from .video_writer import VideoFileWriter, is_same_file

__all__ = [
    'init_face_detector', 'detect_faces', 'select_face',
    'GlamorInferencer', 'FaceScoreTracker', 'read_video_frames',
    'FaceClipTracker', 'fill_face_track', 'link_face_tracks', 'match_by_iou',
    'read_image', 'InputFailures', 'TooManyFailuresError',
    'select_main_track', 'FaceTrack', 'FaceTracker', 'VideoFileWriter',
    'is_same_file', 'VideoFaceRecognizer', 'PipelineStats', 'ProgressReporter',
    'StageTimer', 'run_video_pipeline', 'summary_line', 'has_display'
]
