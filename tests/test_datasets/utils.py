"""Helpers writing small datasets in the published layouts."""
import contextlib
import logging
import os
import os.path as osp

import cv2
import numpy as np
from mmengine.logging import MMLogger


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


@contextlib.contextmanager
def logged_messages():
    """Collect the messages logged through MMEngine's current logger."""
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)
