"""Face detectors as MMDet models, registered in ``mmdet.registry.MODELS``.

Importing this package imports MMDet; the rest of ``glamor_mm.models`` does
not, so the classifier side works without it. The face-detector configs
import it (``custom_imports``), and so do ``glamor_mm.apis`` and the
``DetectFace`` transform when they build a detector.
"""
from .base_dlib_face_detector import BaseDlibFaceDetector
from .dlib_cnn_face_detector import DlibCNNFaceDetector, find_mmod_weights
from .dlib_hog_face_detector import DlibHOGFaceDetector
from .face_detection import (detect_faces, init_face_detector,
                             keep_default_scope, select_face)

__all__ = [
    'BaseDlibFaceDetector', 'DlibHOGFaceDetector', 'DlibCNNFaceDetector',
    'detect_faces', 'find_mmod_weights', 'init_face_detector',
    'keep_default_scope', 'select_face'
]
