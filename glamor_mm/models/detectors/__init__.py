"""Face detectors as MMDet models, registered in ``mmdet.registry.MODELS``.

Importing this package imports MMDet; the rest of ``glamor_mm.models`` does
not, so the classifier side works without it. The face-detector configs
import it (``custom_imports``), and so does ``glamor_mm.apis``, which builds
and runs the detectors (:mod:`glamor_mm.apis.face_detection`). Importing it checks
mmdet's version (:func:`glamor_mm.check_version`).
"""
import mmdet

from glamor_mm import check_version

# before the detector modules, which import mmdet's internals
check_version('mmdet', mmdet.__version__)

from .base_dlib_face_detector import BaseDlibFaceDetector  # noqa: E402
from .dlib_cnn_face_detector import DlibCNNFaceDetector  # noqa: E402
from .dlib_cnn_face_detector import find_mmod_weights
from .dlib_hog_face_detector import DlibHOGFaceDetector  # noqa: E402

__all__ = [
    'BaseDlibFaceDetector', 'DlibHOGFaceDetector', 'DlibCNNFaceDetector',
    'find_mmod_weights'
]
