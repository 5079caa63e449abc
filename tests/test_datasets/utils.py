"""Helpers writing small datasets in the published layouts."""
import os
import os.path as osp

import cv2
import numpy as np


def write_image(path: str, h: int = 24, w: int = 32, value: int = 0) -> None:
    """Write a small BGR image (PNG or JPEG by the file extension)."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    img = np.full((h, w, 3), value, np.uint8)
    img[:, :, 1] = np.arange(w, dtype=np.uint8)[None]
    assert cv2.imwrite(path, img)


def write_text(path: str, text: str) -> None:
    """Write a text file, creating its folder."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)
