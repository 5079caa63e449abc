"""Decode plain PNG files with Wuffs, pixel-identical to OpenCV.

Wuffs' PNG decoder (``pywuffs``) decodes CAER-S-like 8-bit RGB frames about
1.5x faster than ``cv2.imdecode`` (``tools/analysis_tools/
benchmark_png_decode.py``), with the same pixels. It is used only where the
two are known to agree: 8-bit grey or RGB PNG files, not interlaced, whose chunks are all in
:data:`PLAIN_CHUNKS` (no transparency, no EXIF orientation, no animation),
decoded to BGR. Wuffs ignores the chunks' CRC-32 checksums, which
libpng verifies, so :func:`decode_plain_png` checks them first: a damaged
file goes to OpenCV, which reports it as before.
"""
import functools
import struct
import threading
import zlib
from typing import Optional

import numpy as np

PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
# Chunks that neither decoder turns into pixels (OpenCV's IMREAD_COLOR and
# Wuffs both ignore gamma, chromaticity and colour profiles). tRNS (which
# Wuffs would blend), eXIf (whose orientation OpenCV applies), PLTE, APNG's
# chunks and unknown ones leave the file to OpenCV.
PLAIN_CHUNKS = frozenset({
    b'IHDR', b'IDAT', b'IEND', b'gAMA', b'cHRM', b'sRGB', b'iCCP', b'sBIT',
    b'pHYs', b'tEXt', b'zTXt', b'iTXt', b'tIME', b'bKGD'
})
# IHDR colour types: 0 grey, 2 RGB (both 8 bits per sample here)
PLAIN_COLOR_TYPES = (0, 2)

_local = threading.local()  # one decoder per thread


@functools.lru_cache(maxsize=None)
def wuffs_available() -> bool:
    """Whether ``pywuffs`` is installed."""
    try:
        import pywuffs  # noqa: F401
    except ImportError:
        return False
    return True


def is_plain_png(content: bytes) -> bool:
    """Whether ``content`` is an intact, plain 8-bit grey or RGB PNG file.

    Walks every chunk: the file must start with the PNG signature and an
    ``IHDR`` of bit depth 8, colour type 0 or 2 and no interlacing, hold only
    :data:`PLAIN_CHUNKS`, end with ``IEND`` and every chunk's CRC-32 must
    match.

    Args:
        content (bytes): The file's bytes.

    Returns:
        bool: True where Wuffs and OpenCV give the same pixels.
    """
    if (len(content) < 33 or not content.startswith(PNG_SIGNATURE)
            or content[12:16] != b'IHDR' or content[24] != 8
            or content[25] not in PLAIN_COLOR_TYPES or content[28] != 0):
        return False
    view = memoryview(content)
    pos, end, kind = len(PNG_SIGNATURE), len(content), b''
    while pos + 12 <= end and kind != b'IEND':
        length, = struct.unpack_from('>I', content, pos)
        data_end = pos + 8 + length
        kind = content[pos + 4:pos + 8]
        if (data_end + 4 > end or kind not in PLAIN_CHUNKS
                or zlib.crc32(view[pos + 4:data_end]) != struct.unpack_from(
                    '>I', content, data_end)[0]):
            return False
        pos = data_end + 4
    return kind == b'IEND'


def _decoder():
    """This thread's Wuffs PNG decoder, giving BGR."""
    if not hasattr(_local, 'decoder'):
        from pywuffs import ImageDecoderType, PixelFormat
        from pywuffs.aux import ImageDecoder, ImageDecoderConfig
        config = ImageDecoderConfig()
        config.enabled_decoders = [ImageDecoderType.PNG]
        config.pixel_format = PixelFormat.BGR
        _local.decoder = ImageDecoder(config)
    return _local.decoder


def decode_plain_png(content: bytes) -> Optional[np.ndarray]:
    """Decode an intact 8-bit grey or RGB PNG file with Wuffs.

    Args:
        content (bytes): The file's bytes.

    Returns:
        np.ndarray | None: The H×W×3 uint8 BGR image, the same pixels as
        ``cv2.imdecode(..., cv2.IMREAD_COLOR)``; None where ``pywuffs`` is
        not installed, the file is not such a PNG (:func:`is_plain_png`) or
        Wuffs fails on it, so that the caller decodes it with OpenCV.
    """
    if not wuffs_available() or not is_plain_png(content):
        return None
    result = _decoder().decode(content)
    if result.error_message or result.pixbuf is None:
        return None
    return result.pixbuf
