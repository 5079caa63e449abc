"""Pad the image on all four sides, moving the face box with it."""
from numbers import Number
from typing import Union

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmpretrain.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PadBorder(BaseTransform):
    """Pad ``size`` pixels on every side of the image with a constant.

    The ``fer`` package pads its gray picture by 40 pixels with the mean of
    the picture's last two rows before cropping faces, so that a face box
    grown past the picture's edge crops that value instead of nothing::

        dict(type='PadBorder', size=40, pad_val='bottom_mean')

    mmcv's ``Pad`` pads only the bottom and right, with a fixed value.

    Required Keys:

    - img (np.ndarray): ``H x W`` or ``H x W x C`` image.
    - face_bbox (list | np.ndarray | None, optional): ``x1, y1, x2, y2``.

    Modified Keys:

    - img: ``(H + 2 size) x (W + 2 size) (x C)``, same dtype.
    - img_shape
    - face_bbox: Moved by ``size`` pixels right and down (``np.float32``).

    Args:
        size (int): Pixels added on each side. Defaults to 40.
        pad_val (float | str): The value of the new pixels, or
            ``'bottom_mean'``: the mean of the last two rows (of the first
            channel), as ``cv2.mean`` computes it; ``cv2.copyMakeBorder``
            rounds it for integer images. Defaults to ``'bottom_mean'``.
    """

    def __init__(self,
                 size: int = 40,
                 pad_val: Union[float, str] = 'bottom_mean') -> None:
        if size < 0:
            raise ValueError(f'PadBorder: size={size} must be >= 0.')
        if not (isinstance(pad_val, Number) or pad_val == 'bottom_mean'):
            raise ValueError("PadBorder: pad_val must be a number or "
                             f"'bottom_mean', got {pad_val!r}.")
        self.size = size
        self.pad_val = pad_val

    def transform(self, results: dict) -> dict:
        """Pad ``img`` and move ``face_bbox``.

        Args:
            results (dict): Result dict with ``img``.

        Returns:
            dict: The result dict with the padded image.
        """
        img = results['img']
        if self.pad_val == 'bottom_mean':
            value = cv2.mean(img[-2:])[0]
        else:
            value = float(self.pad_val)
        s = self.size
        results['img'] = cv2.copyMakeBorder(
            img, s, s, s, s, cv2.BORDER_CONSTANT, value=[value] * 4)
        results['img_shape'] = results['img'].shape[:2]
        if results.get('face_bbox') is not None:
            results['face_bbox'] = np.asarray(
                results['face_bbox'], dtype=np.float32) + s
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(size={self.size}, '
                f'pad_val={self.pad_val!r})')
