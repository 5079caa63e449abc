"""Crop the face view out of the image."""
import math
from typing import Optional, Sequence, Tuple

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmpretrain.registry import TRANSFORMS

from .face_box import face_box_to_pixels


@TRANSFORMS.register_module()
class CropFace(BaseTransform):
    """Crop the face box out of the image and resize it (the face view).

    The box is clipped to the image. A missing box (``face_bbox`` None or
    absent), or one with no area inside the image, follows ``missing_face``:

    - ``'zeros'``: the face view is all zeros, as the authors' code fed the
      network when dlib found no face, and ``face_bbox`` becomes None;
    - ``'error'``: raise a ``ValueError`` naming the image file.

    The sample is never dropped or replaced by another one.

    Required Keys:

    - img (np.ndarray): ``H x W x C`` image (uint8 BGR from
      ``LoadImageFromFile``).
    - face_bbox (list | np.ndarray | None, optional): ``x1, y1, x2, y2`` in
      pixels of ``img`` (``x2, y2`` exclusive).
    - img_path (str, optional): Quoted in errors.

    Modified Keys:

    - face_bbox: The clipped box as ``np.float32`` array of shape ``(4,)``
      (whole pixels), or None when the face is missing.

    Added Keys:

    - face_img (np.ndarray): ``scale[1] x scale[0] x C`` face crop, same dtype
      as ``img``.

    Args:
        scale (tuple[int, int]): Output size ``(w, h)`` of the face view.
            Defaults to ``(96, 96)`` (paper §4.2).
        missing_face (str): ``'zeros'`` or ``'error'``, see above.
            Defaults to ``'zeros'``.
        interpolation (str): Interpolation of :func:`mmcv.imresize`.
            Defaults to ``'bilinear'``.
        backend (str, optional): Backend of :func:`mmcv.imresize`:
            ``'cv2'`` or ``'pillow'`` (PIL's filters, which smooth when
            shrinking, as torchvision's ``Resize`` does on PIL images).
            Defaults to None (MMCV's default, cv2).
        pad_outside (bool): Keep the part of the box outside the image, as
            zeros, instead of clipping the box (PIL's ``Image.crop``, which
            the PyTorch CAER-Net-S uses). ``face_bbox`` is still clipped.
            Defaults to False.
    """

    # No randomness; the output depends only on the annotation and the
    # image (the pipeline cache stores it).
    cacheable = True

    def __init__(self,
                 scale: Tuple[int, int] = (96, 96),
                 missing_face: str = 'zeros',
                 interpolation: str = 'bilinear',
                 backend: Optional[str] = None,
                 pad_outside: bool = False) -> None:
        if missing_face not in ('zeros', 'error'):
            raise ValueError("missing_face must be 'zeros' or 'error', got "
                             f'{missing_face!r}.')
        self.scale = tuple(scale)
        self.missing_face = missing_face
        self.interpolation = interpolation
        self.backend = backend
        self.pad_outside = pad_outside

    def transform(self, results: dict) -> dict:
        """Add ``face_img`` and clip ``face_bbox``.

        Args:
            results (dict): Result dict with ``img`` and ``face_bbox``.

        Returns:
            dict: The result dict with ``face_img``.
        """
        img = results['img']
        bbox = results.get('face_bbox')
        box = face_box_to_pixels(bbox, img.shape)
        if box is None:
            if self.missing_face == 'error':
                problem = 'has no face box' if bbox is None else (
                    f'has face box {list(bbox)} with no area inside the '
                    f'{img.shape[1]}x{img.shape[0]} (WxH) image')
                raise ValueError(
                    f'{results.get("img_path", "<image>")} {problem} '
                    "(CropFace(missing_face='error')).")
            w, h = self.scale
            face = np.zeros((h, w) + img.shape[2:], dtype=img.dtype)
            results['face_bbox'] = None
        else:
            x1, y1, x2, y2 = box
            # Plain slicing: mmcv.imcrop treats x2/y2 as inclusive.
            crop = img[y1:y2, x1:x2]
            if self.pad_outside:
                crop = self._pad_to_box(crop, box, bbox)
            face = mmcv.imresize(
                crop,
                self.scale,
                interpolation=self.interpolation,
                backend=self.backend)
            results['face_bbox'] = np.array(box, dtype=np.float32)
        results['face_img'] = face
        return results

    @staticmethod
    def _pad_to_box(crop: np.ndarray, clipped: Tuple[int, int, int, int],
                    bbox: Sequence[float]) -> np.ndarray:
        """``crop`` (the ``clipped`` box) inside zeros of the whole box."""
        x1, y1 = math.floor(float(bbox[0])), math.floor(float(bbox[1]))
        x2, y2 = math.ceil(float(bbox[2])), math.ceil(float(bbox[3]))
        padded = np.zeros((y2 - y1, x2 - x1) + crop.shape[2:], crop.dtype)
        top, left = clipped[1] - y1, clipped[0] - x1
        padded[top:top + crop.shape[0], left:left + crop.shape[1]] = crop
        return padded

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(scale={self.scale}, '
                f"missing_face='{self.missing_face}', "
                f"interpolation='{self.interpolation}', "
                f'backend={self.backend!r}, pad_outside={self.pad_outside})')
