"""Shared fixtures: real photographs shipped inside installed packages."""
import os.path as osp
import struct

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
    cbook = pytest.importorskip('matplotlib.cbook')
    skdata = pytest.importorskip('skimage.data')
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
