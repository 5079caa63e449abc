"""Face-box arithmetic shared by :class:`CropFace` and :class:`MaskFace`."""
import math
from typing import Optional, Sequence, Tuple


def face_box_to_pixels(
        bbox: Optional[Sequence[float]],
        img_shape: Tuple[int, int]) -> Optional[Tuple[int, int, int, int]]:
    """Clip a face box to the image and round it outwards to whole pixels.

    The box ``x1, y1, x2, y2`` is in pixel coordinates with ``x2, y2``
    exclusive, so the face is ``img[y1:y2, x1:x2]``; fractional edges are
    rounded outwards (``floor(x1)``, ``ceil(x2)``) so that no part of the
    face is left unmasked.

    Args:
        bbox (Sequence[float] | None): ``x1, y1, x2, y2``, or None.
        img_shape (tuple[int, int]): ``(H, W)`` of the image.

    Returns:
        tuple[int, int, int, int] | None: ``(x1, y1, x2, y2)`` integers with
        ``0 <= x1 < x2 <= W`` and ``0 <= y1 < y2 <= H``, or None if the box is
        missing, not finite, or has no area inside the image.
    """
    if bbox is None or not all(math.isfinite(float(v)) for v in bbox):
        return None
    h, w = img_shape[:2]
    x1, y1, x2, y2 = (float(v) for v in bbox)
    x1, x2 = max(math.floor(x1), 0), min(math.ceil(x2), w)
    y1, y2 = max(math.floor(y1), 0), min(math.ceil(y2), h)
    if x2 <= x1 or y2 <= y1:
        return None
    return x1, y1, x2, y2
