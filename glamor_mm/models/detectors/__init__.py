from .base_dlib_face_detector import BaseDlibFaceDetector
from .dlib_cnn_face_detector import DlibCNNFaceDetector, find_mmod_weights
from .dlib_hog_face_detector import DlibHOGFaceDetector

__all__ = [
    'BaseDlibFaceDetector', 'DlibHOGFaceDetector', 'DlibCNNFaceDetector',
    'find_mmod_weights'
]
