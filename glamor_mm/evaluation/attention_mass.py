"""How much of an attention map falls on given image regions."""
import numpy as np


def attention_mass_on_masks(attention: np.ndarray,
                            masks: np.ndarray) -> np.ndarray:
    """Attention mass on the map cells that each mask touches.

    The image is split into the ``h x w`` cells of the attention map (cell
    (i, j) covers rows ``[i·H // h, (i+1)·H // h)`` and the matching
    columns), which holds when the context view is the whole image. The mass
    of a mask is the attention summed over every cell holding at least one
    of its pixels, so two masks that share a cell both count it.

    Args:
        attention (np.ndarray): Attention map, shape (h, w), summing to 1,
            or several maps of the same image, shape (M, h, w).
        masks (np.ndarray): Boolean region masks in image pixels, shape
            (K, H, W) with ``H >= h`` and ``W >= w``.

    Returns:
        np.ndarray: Mass per mask, shape (K, ), or (M, K) for M maps.
    """
    if attention.ndim not in (2, 3) or masks.ndim != 3:
        raise ValueError('Expected an (h, w) or (M, h, w) attention map and '
                         f'(K, H, W) masks, got shapes {attention.shape} and '
                         f'{masks.shape}.')
    (h, w), (height, width) = attention.shape[-2:], masks.shape[1:]
    if height < h or width < w:
        raise ValueError(f'Masks of {height}x{width} pixels are smaller '
                         f'than the {h}x{w} attention map.')
    rows = np.arange(h) * height // h
    cols = np.arange(w) * width // w
    per_cell = np.add.reduceat(
        np.add.reduceat(masks.astype(np.int64), rows, axis=1), cols, axis=2)
    touched = (per_cell > 0).reshape(len(masks), -1).astype(attention.dtype)
    return attention.reshape(*attention.shape[:-2], -1) @ touched.T
