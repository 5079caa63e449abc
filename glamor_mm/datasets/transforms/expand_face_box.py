"""Make the face box square and add a margin, as the ``fer`` package
does."""
from typing import Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmpretrain.registry import TRANSFORMS


@TRANSFORMS.register_module()
class ExpandFaceBox(BaseTransform):
    """Grow the face box: square it up, then add a margin on every side.

    In whole pixels, as ``fer``'s ``FER.tosquare`` and its offsets do: the
    box is rounded to integers, its short side grows by the difference
    ``d`` (``d // 2`` before the box, the rest after it), then ``margin``
    pixels are added on each side. The box may leave the image; a later
    :class:`CropFace` clips it (put :class:`PadBorder` before to pad
    instead).

    Required Keys:

    - face_bbox (list | np.ndarray | None): ``x1, y1, x2, y2`` (``x2, y2``
      exclusive); None is left as it is.

    Modified Keys:

    - face_bbox: The grown box, ``np.float32`` of shape ``(4,)``.

    Args:
        square (bool): Grow the short side to the long one.
            Defaults to True.
        margin (int | tuple[int, int]): Pixels added on each side,
            ``(x, y)`` or one for both. Defaults to 10.
    """

    def __init__(self,
                 square: bool = True,
                 margin: Union[int, Tuple[int, int]] = 10) -> None:
        self.square = square
        self.margin = (margin,
                       margin) if isinstance(margin, int) else tuple(margin)
        if len(self.margin) != 2:
            raise ValueError('ExpandFaceBox: margin must be an int or (x, y), '
                             f'got {margin!r}.')

    def transform(self, results: dict) -> dict:
        """Grow ``results['face_bbox']``.

        Args:
            results (dict): Result dict with ``face_bbox``.

        Returns:
            dict: The result dict with the grown box.
        """
        bbox = results.get('face_bbox')
        if bbox is None:
            return results
        x1, y1, x2, y2 = (int(round(float(v))) for v in bbox)
        x, y, w, h = x1, y1, x2 - x1, y2 - y1
        if self.square and h > w:
            x -= (h - w) // 2
            w = h
        elif self.square and w > h:
            y -= (w - h) // 2
            h = w
        mx, my = self.margin
        results['face_bbox'] = np.array(
            [x - mx, y - my, x + w + mx, y + h + my], dtype=np.float32)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(square={self.square}, '
                f'margin={self.margin})')
