"""Hide the face in the context view."""
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

    Required Keys:

    - img (np.ndarray): ``H x W x C`` image.
    - ``bbox_key`` (list | np.ndarray | None): One box ``x1, y1, x2, y2`` or
      ``K x 4`` boxes (e.g. every face detected in the image) in pixels of
      ``img``, or None (no face). A sample without the key is an error (a
      misspelt ``bbox_key`` must not silently turn masking off).

    Modified Keys:

    - img: A copy with the boxes set to 0.

    Args:
        enabled (bool): Whether to mask; False gives the visible-face
            context. Defaults to True.
        bbox_key (str): Key of the box(es) to mask. Defaults to
            ``'face_bbox'``.
    """

    def __init__(self, enabled: bool = True, bbox_key: str = 'face_bbox'):
        self.enabled = enabled
        self.bbox_key = bbox_key

    def transform(self, results: dict) -> dict:
        """Zero the face box(es) in ``results['img']``.

        Args:
            results (dict): Result dict with ``img``.

        Returns:
            dict: The result dict with the masked ``img``.
        """
        if not self.enabled:
            return results
        if self.bbox_key not in results:
            raise KeyError(
                f'MaskFace: the sample has no key {self.bbox_key!r} (keys: '
                f'{sorted(results)}); a misspelt bbox_key would leave the '
                'face visible in the context.')
        bboxes = results[self.bbox_key]
        if bboxes is None:
            return results
        img = results['img'].copy()
        for bbox in np.asarray(bboxes, dtype=np.float64).reshape(-1, 4):
            box = face_box_to_pixels(bbox, img.shape)
            if box is not None:
                x1, y1, x2, y2 = box
                img[y1:y2, x1:x2] = 0
        results['img'] = img
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(enabled={self.enabled}, '
                f"bbox_key='{self.bbox_key}')")
