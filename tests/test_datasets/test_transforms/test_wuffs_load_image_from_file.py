"""WuffsLoadImageFromFile: Wuffs decodes plain PNG files to OpenCV's pixels;
every other file, and every damaged one, is loaded exactly as MMCV's
LoadImageFromFile loads it."""
import io
import os.path as osp
import struct
import subprocess
import sys
import zlib

import cv2
import numpy as np
import pytest
from mmcv.transforms import LoadImageFromFile
from PIL import Image

from glamor_mm.datasets.transforms import WuffsLoadImageFromFile
from glamor_mm.utils.wuffs_png import (decode_plain_png, is_plain_png,
                                       wuffs_available)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(__file__))))


def test_pywuffs_is_installed():
    """The project's requirements install pywuffs (else the loader falls
    back to OpenCV and the data pipeline is slower)."""
    assert wuffs_available()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack('>I', len(data)) + kind + data +
            struct.pack('>I', zlib.crc32(kind + data)))


def _insert_chunk(png: bytes, kind: bytes, data: bytes) -> bytes:
    """``png`` with a chunk added right after IHDR (signature 8 + IHDR 25
    bytes)."""
    return png[:33] + _chunk(kind, data) + png[33:]


def _opencv(content: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(content, np.uint8), cv2.IMREAD_COLOR)


@pytest.fixture(scope='module')
def photo() -> np.ndarray:
    """A natural 400 x 712 BGR photograph (CAER-S size)."""
    from skimage import data as skdata
    return cv2.resize(skdata.astronaut()[..., ::-1], (712, 400))


def _pillow_png(image: Image.Image, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, 'PNG', **kwargs)
    return buffer.getvalue()


def _encodings(photo: np.ndarray) -> dict:
    """Plain PNG files as different encoders write them."""
    grey = cv2.cvtColor(photo, cv2.COLOR_BGR2GRAY)
    files = {
        f'opencv level {level}': cv2.imencode(
            '.png', photo, [cv2.IMWRITE_PNG_COMPRESSION, level])[1].tobytes()
        for level in (0, 1, 9)
    }
    files['opencv grey'] = cv2.imencode('.png', grey)[1].tobytes()
    files['pillow RGB'] = _pillow_png(
        Image.fromarray(np.ascontiguousarray(photo[..., ::-1])),
        optimize=True)
    files['pillow grey'] = _pillow_png(Image.fromarray(grey), optimize=True)
    files['with gAMA, sRGB and tEXt'] = _insert_chunk(
        _insert_chunk(
            _insert_chunk(files['opencv level 1'], b'gAMA',
                          struct.pack('>I', 45455)), b'sRGB', b'\x00'),
        b'tEXt', b'Comment\x00a caption')
    return files


def test_plain_png_files_decode_to_opencvs_pixels(photo):
    for name, content in _encodings(photo).items():
        assert is_plain_png(content), name
        decoded = decode_plain_png(content)
        assert decoded is not None, name
        assert decoded.shape == (400, 712, 3) and decoded.dtype == np.uint8
        assert decoded.flags.writeable and decoded.flags.c_contiguous
        np.testing.assert_array_equal(decoded, _opencv(content), name)


def test_other_files_are_left_to_opencv(photo):
    """Files where Wuffs and OpenCV could differ (transparency, 16 bits, a
    palette, EXIF orientation, interlacing) or that are not PNG files."""
    rgb = Image.fromarray(np.ascontiguousarray(photo[..., ::-1]))
    plain = cv2.imencode('.png', photo)[1].tobytes()
    interlaced = bytearray(plain)
    interlaced[28] = 1  # IHDR's interlace method (the CRC no longer fits)
    others = {
        'RGBA': cv2.imencode('.png', cv2.cvtColor(photo,
                                                  cv2.COLOR_BGR2BGRA))[1],
        '16 bits': cv2.imencode('.png', photo.astype(np.uint16) * 257)[1],
        'palette': _pillow_png(rgb.quantize(16)),
        'tRNS': _pillow_png(rgb, transparency=(0, 0, 0)),
        'eXIf': _insert_chunk(plain, b'eXIf', b'MM\x00*'),
        'interlaced': interlaced,
        'JPEG': cv2.imencode('.jpg', photo)[1],
    }
    for name, content in others.items():
        content = bytes(content)
        assert not is_plain_png(content), name
        assert decode_plain_png(content) is None, name


def _damaged(plain: bytes) -> dict:
    idat = plain.index(b'IDAT')
    flipped = bytearray(plain)
    flipped[idat + 100] ^= 0x55  # a byte of the compressed pixels
    return {
        'a flipped byte in IDAT': bytes(flipped),
        'truncated': plain[:len(plain) // 2],
        'no IEND': plain[:-12],
    }


def test_damaged_files_fail_as_with_opencv(photo, tmp_path):
    """Wuffs ignores CRC-32 checksums; the loader checks them, so a damaged
    file is refused as OpenCV refuses it, naming the file, never decoded
    to wrong pixels."""
    for name, content in _damaged(cv2.imencode('.png',
                                               photo)[1].tobytes()).items():
        assert decode_plain_png(content) is None, name
        path = tmp_path / f'{name.replace(" ", "_")}.png'
        path.write_bytes(content)
        results = dict(img_path=str(path))
        with pytest.raises(Exception) as wuffs_error:
            WuffsLoadImageFromFile()(dict(results))
        with pytest.raises(Exception) as mmcv_error:
            LoadImageFromFile()(dict(results))
        assert str(path) in str(wuffs_error.value), name
        assert str(path) in str(mmcv_error.value), name
        # ignore_empty skips files that cannot be read, not undecodable ones
        with pytest.raises(Exception):
            WuffsLoadImageFromFile(ignore_empty=True)(dict(results))
    assert WuffsLoadImageFromFile(ignore_empty=True)(
        dict(img_path=str(tmp_path / 'missing.png'))) is None


def test_loads_like_mmcv(photo, real_photos, tmp_path):
    """The transform's results equal MMCV LoadImageFromFile's on a plain
    PNG, a JPEG and a file left to OpenCV, with and without to_float32."""
    plain = tmp_path / 'plain.png'
    cv2.imwrite(str(plain), photo)
    rgba = tmp_path / 'rgba.png'
    cv2.imwrite(str(rgba), cv2.cvtColor(photo, cv2.COLOR_BGR2BGRA))
    for path in (plain, rgba, real_photos['grace_hopper']['path']):
        for to_float32 in (False, True):
            ours = WuffsLoadImageFromFile(to_float32=to_float32)(
                dict(img_path=str(path)))
            theirs = LoadImageFromFile(to_float32=to_float32)(
                dict(img_path=str(path)))
            assert ours.keys() == theirs.keys()
            assert ours['img'].dtype == theirs['img'].dtype
            np.testing.assert_array_equal(ours['img'], theirs['img'])
            assert ours['img_shape'] == theirs['img_shape']
    grey = WuffsLoadImageFromFile(color_type='grayscale')
    assert not grey.use_wuffs
    assert grey(dict(img_path=str(plain)))['img'].shape == (400, 712)


def test_without_pywuffs_it_warns_and_decodes_with_opencv(photo, tmp_path):
    """A real run in a process where pywuffs cannot be imported."""
    path = tmp_path / 'plain.png'
    cv2.imwrite(str(path), photo)
    code = (
        'import sys; sys.modules["pywuffs"] = None\n'
        'import cv2, numpy as np\n'
        'from glamor_mm.datasets.transforms import WuffsLoadImageFromFile\n'
        't = WuffsLoadImageFromFile()\n'
        f'img = t(dict(img_path={str(path)!r}))["img"]\n'
        f'assert np.array_equal(img, cv2.imread({str(path)!r}))\n'
        'print("use_wuffs", t.use_wuffs)\n')
    proc = subprocess.run([sys.executable, '-c', code],
                          cwd=ROOT,
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'use_wuffs False' in proc.stdout
    assert 'pywuffs is not installed' in proc.stdout + proc.stderr
