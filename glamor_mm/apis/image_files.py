"""Read a picture, or say which file could not be read and why."""
import os.path as osp

import cv2
import mmcv
import numpy as np


def read_image(path: str) -> np.ndarray:
    """Read an image file as MMCV does (BGR uint8, 3 channels).

    Args:
        path (str): The image file.

    Returns:
        np.ndarray: The image, of shape (H, W, 3).

    Raises:
        OSError: Naming ``path`` and the problem, if it does not exist, is
            empty, or is not an image OpenCV can decode (corrupt,
            truncated, another format).
    """
    try:
        img = mmcv.imread(path)
    except cv2.error:  # OpenCV refuses an empty buffer
        img = None
    if img is None:
        problem = ('empty file' if osp.getsize(path) == 0 else
                   'corrupt, truncated or not an image file')
        raise OSError(f'{path}: cannot be read as an image ({problem}).')
    return img
