"""dlib's HOG + linear SVM frontal face detector as an MMDet detector."""
from typing import Tuple

import numpy as np
from mmdet.registry import MODELS

from .base_dlib_face_detector import BaseDlibFaceDetector, import_dlib


@MODELS.register_module()
class DlibHOGFaceDetector(BaseDlibFaceDetector):
    """dlib's frontal face detector (HOG features + linear SVM).

    No weights file is needed (the model ships inside dlib). Scores are the
    SVM margins from ``detector.run(img, upsample, adjust_threshold)``.

    Args:
        upsample (int): Number of times the image is upsampled by 2 before
            detection; each doubles the smallest detectable face size
            (about 80×80 pixels at 0) and costs about 4× the time.
            Defaults to 0.
        adjust_threshold (float): dlib's threshold shift; negative values
            return more (weaker) detections. Defaults to 0.
        **kwargs: ``score_thr``, ``data_preprocessor``, ... of
            :class:`BaseDlibFaceDetector`.
    """

    def __init__(self,
                 upsample: int = 0,
                 adjust_threshold: float = 0.,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.upsample = upsample
        self.adjust_threshold = adjust_threshold

    def build_dlib_detector(self):
        """Create ``dlib.get_frontal_face_detector()``."""
        return import_dlib().get_frontal_face_detector()

    def detect(self, img: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """See :meth:`BaseDlibFaceDetector.detect`."""
        rects, scores, _ = self.dlib_detector.run(img, self.upsample,
                                                  self.adjust_threshold)
        return self.rects_to_boxes(rects), np.asarray(scores, dtype=np.float32)
