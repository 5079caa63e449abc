"""Hide the face in the context view."""
from typing import Optional

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmpretrain.registry import TRANSFORMS

from .face_box import face_box_to_pixels


@TRANSFORMS.register_module()
class MaskFace(BaseTransform):
    """Set the face region of the image to zero (the masked context view).

    GLAMOR-Net (§3.2) hides the face in the context so that the context
    stream learns from the rest of the scene. The box is clipped to the
    image and rounded outwards to whole pixels (see
    :func:`face_box_to_pixels`); a missing box or one with no area leaves
    the image unchanged. ``enabled=False`` keeps the face visible, the
    "context with visible face" setting (iii) of the paper's Table 4.

    With ``jpeg_quality`` the (masked) picture is then JPEG-encoded at that
    quality and decoded again, as the GLAMOR-Net authors' TensorFlow
    pipeline does (``tf.image.encode_jpeg`` / ``decode_jpeg``, quality 95)
    before resizing the context. This adds JPEG's compression artefacts,
    strongest at the sharp edges of the zeroed box. OpenCV decodes with
    libjpeg's accurate integer IDCT; TensorFlow's ``decode_jpeg`` defaults
    to the fast one, so the pixels can differ from TensorFlow's by a few
    levels (about 1 on average), most at those edges.

    Required Keys:

    - img (np.ndarray): ``H x W x C`` image.
    - ``bbox_key`` (list | np.ndarray | None): One box ``x1, y1, x2, y2`` or
      ``K x 4`` boxes (e.g. every face detected in the image) in pixels of
      ``img``, or None (no face). A sample without the key is an error (a
      misspelt ``bbox_key`` must not silently turn masking off).

    Modified Keys:

    - img: A copy with the boxes set to 0 (and JPEG round-tripped with
      ``jpeg_quality``).

    Args:
        enabled (bool): Whether to mask; False gives the visible-face
            context. Defaults to True.
        bbox_key (str): Key of the box(es) to mask. Defaults to
            ``'face_bbox'``.
        include_end (bool): Also zero row ``y2`` and column ``x2`` of each
            box, as PIL's ``ImageDraw.rectangle`` does (the PyTorch
            CAER-Net-S masks the face with it). Defaults to False.
        jpeg_quality (int, optional): JPEG quality (1-100) of an encode and
            decode of the result (BGR; a float image is rounded to uint8 for
            the encoding and decoded back to its dtype). Defaults to None
            (no JPEG round trip).
    """

    # No randomness; the output depends only on the annotation and the
    # image (the pipeline cache stores it).
    cacheable = True

    def __init__(self,
                 enabled: bool = True,
                 bbox_key: str = 'face_bbox',
                 include_end: bool = False,
                 jpeg_quality: Optional[int] = None):
        if jpeg_quality is not None and not 1 <= jpeg_quality <= 100:
            raise ValueError('MaskFace: jpeg_quality must be in 1..100, got '
                             f'{jpeg_quality}.')
        self.enabled = enabled
        self.bbox_key = bbox_key
        self.include_end = include_end
        self.jpeg_quality = jpeg_quality

    def transform(self, results: dict) -> dict:
        """Zero the face box(es) in ``results['img']``.

        Args:
            results (dict): Result dict with ``img``.

        Returns:
            dict: The result dict with the masked ``img``.
        """
        img = results['img']
        if self.enabled:
            if self.bbox_key not in results:
                raise KeyError(
                    f'MaskFace: the sample has no key {self.bbox_key!r} '
                    f'(keys: {sorted(results)}); a misspelt bbox_key would '
                    'leave the face visible in the context.')
            bboxes = results[self.bbox_key]
            if bboxes is not None:
                img = img.copy()
                for bbox in np.asarray(
                        bboxes, dtype=np.float64).reshape(-1, 4):
                    if self.include_end:
                        bbox = bbox + (0, 0, 1, 1)
                    box = face_box_to_pixels(bbox, img.shape)
                    if box is not None:
                        x1, y1, x2, y2 = box
                        img[y1:y2, x1:x2] = 0
        if self.jpeg_quality is not None:
            img = self._jpeg_round_trip(img, results.get('img_path'))
        results['img'] = img
        return results

    def _jpeg_round_trip(self, img: np.ndarray,
                         img_path: Optional[str]) -> np.ndarray:
        """Encode ``img`` as JPEG of ``jpeg_quality`` and decode it."""
        pixels = np.clip(np.rint(img), 0, 255).astype(np.uint8)
        ok, data = cv2.imencode('.jpg', pixels,
                                [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
        if not ok:
            raise ValueError(f'MaskFace: JPEG encoding of {img_path} failed.')
        return cv2.imdecode(data, cv2.IMREAD_UNCHANGED).astype(img.dtype)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(enabled={self.enabled}, '
                f"bbox_key='{self.bbox_key}', "
                f'include_end={self.include_end}, '
                f'jpeg_quality={self.jpeg_quality})')
