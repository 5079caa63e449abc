"""Load an image file, decoding plain PNG files with Wuffs."""
import logging
from typing import Optional

import mmcv
import numpy as np
from mmcv.transforms import LoadImageFromFile
from mmengine import fileio
from mmengine.logging import print_log
from mmpretrain.registry import TRANSFORMS

from glamor_mm.utils.wuffs_png import decode_plain_png, wuffs_available


@TRANSFORMS.register_module()
class WuffsLoadImageFromFile(LoadImageFromFile):
    """MMCV's ``LoadImageFromFile``, with Wuffs decoding plain PNG files.

    CAER-S pictures are PNG files, and decoding them is most of the
    uncached training pipeline's time. Intact 8-bit grey or RGB PNG files
    (:func:`~glamor_mm.utils.wuffs_png.is_plain_png`) loaded in colour are
    decoded by Wuffs (``pywuffs``), about 1.5x faster than OpenCV and to
    the same pixels; every other file (JPEG, PNG with transparency, EXIF
    orientation, a palette or 16 bits, a damaged file) and every other
    ``color_type`` or ``imdecode_backend`` is loaded exactly as
    ``LoadImageFromFile`` loads it, errors included. Without ``pywuffs``
    (``pip install pywuffs``) it warns once and decodes with OpenCV.

    Arguments, required, added and modified keys: as
    ``mmcv.transforms.LoadImageFromFile``.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.use_wuffs = (self.color_type == 'color'
                          and self.imdecode_backend == 'cv2')
        if self.use_wuffs and not wuffs_available():
            print_log(
                'WuffsLoadImageFromFile: pywuffs is not installed; PNG '
                'files are decoded with OpenCV (the same pixels, about 1.5x '
                'slower). pip install pywuffs', 'current', logging.WARNING)
            self.use_wuffs = False

    def transform(self, results: dict) -> Optional[dict]:
        """Load ``results['img_path']``.

        Args:
            results (dict): Result dict with ``img_path``.

        Returns:
            dict | None: The result dict with ``img`` (H×W×3 uint8 BGR, or
            float32 with ``to_float32``), ``img_shape`` and ``ori_shape``;
            None for an unreadable file with ``ignore_empty``.
        """
        if not self.use_wuffs:
            return super().transform(results)
        filename = results['img_path']
        try:
            if self.file_client_args is not None:
                img_bytes = fileio.FileClient.infer_client(
                    self.file_client_args, filename).get(filename)
            else:
                img_bytes = fileio.get(
                    filename, backend_args=self.backend_args)
            img = decode_plain_png(img_bytes)
            if img is None:
                img = mmcv.imfrombytes(
                    img_bytes, flag=self.color_type, backend='cv2')
        except Exception:
            if self.ignore_empty:
                return None
            raise
        if img is None:
            raise ValueError(f'failed to load image: {filename}')
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results
