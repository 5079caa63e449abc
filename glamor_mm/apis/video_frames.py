"""Read the frames of a video one at a time."""
import warnings
from typing import Iterator, Union

import cv2
import numpy as np

from glamor_mm.datasets.base_emotion_dataset import \
    VIDEO_EXTENSIONS  # noqa: F401 (the inferencer's video check)


def read_video_frames(source: Union[str, int],
                      strict: bool = False) -> Iterator[np.ndarray]:
    """Yield the frames of a video file or a camera, one at a time.

    Only the current frame is held, so memory does not grow with the length
    of the video. The video is opened at once: a file that cannot be opened
    raises here, not at the first frame.

    The frame count in a file's header is only a promise: containers often
    over-state it (an interrupted recording, a count rounded from the
    duration). A file that decodes fewer frames than announced gives the
    frames it has and a ``RuntimeWarning`` naming the file, or an
    ``OSError`` with ``strict=True``.

    Args:
        source (str | int): Video file, or the index of a camera.
        strict (bool): Raise instead of warning when a file decodes fewer
            frames than its header announces. Defaults to False.

    Returns:
        Iterator[np.ndarray]: BGR uint8 frames, ``H x W x 3``.

    Raises:
        OSError: If the video cannot be opened; or, after its last readable
            frame, if a file yields no frame at all (or, with ``strict``,
            fewer frames than its header announces).
    """
    capture = cv2.VideoCapture(source)
    if not capture.isOpened():
        capture.release()
        raise OSError(f'{source!r}: cannot be opened as a video (missing, '
                      'unreadable, or not a video that OpenCV can decode).')
    expected = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))

    def frames() -> Iterator[np.ndarray]:
        count = 0
        try:
            while True:
                ok, frame = capture.read()
                if not ok:
                    break
                count += 1
                yield frame
        finally:
            capture.release()
        if not isinstance(source, str) or 0 < count >= expected:
            return
        message = (f'{source!r}: decoded {count} of the {expected} frames '
                   'its header announces')
        if count == 0 or strict:
            raise OSError(f'{message}; the video is truncated or corrupt.')
        warnings.warn(
            f'{message}; the video ends there (truncated, or a header that '
            'over-states its length).', RuntimeWarning)

    return frames()
