"""Write a video file without ever destroying the input or a previous
result."""
import os
import os.path as osp
from typing import Optional, Tuple, Union

import cv2
import numpy as np


def is_same_file(path: str, other: str) -> bool:
    """Whether two paths name one file (any spelling, symbolic or hard link).

    Args:
        path (str): A path.
        other (str): Another path.

    Returns:
        bool: True if both exist and are the same file, or if they resolve
        to the same place.
    """
    if osp.exists(path) and osp.exists(other):
        return osp.samefile(path, other)
    return osp.realpath(path) == osp.realpath(other)


class VideoFileWriter:
    """Write frames into a temporary file; rename it to ``path`` at the end.

    The file at ``path`` (a previous result) is replaced only by a complete
    video, when :meth:`close` is called with ``keep=True`` (or the ``with``
    block ends without an error); an interrupted run leaves it as it was
    and removes its temporary file. An output that is the input video
    (through any path spelling, a symbolic or a hard link) is refused
    before anything is written, and the folder of ``path`` is created.

    Args:
        path (str): The output video (``.mp4``, ``.avi``...).
        fps (float): Its frame rate.
        size (tuple[int, int]): Frame size ``(width, height)``.
        source (str | int, optional): The input video (a camera index is
            never a file). Defaults to None.
        fourcc (str): FourCC of the codec. Defaults to 'mp4v' (MPEG-4).

    Raises:
        ValueError: If ``path`` is the input video.
        OSError: If OpenCV cannot write the file (no encoder for its type,
            or an unwritable folder).
    """

    def __init__(self,
                 path: str,
                 fps: float,
                 size: Tuple[int, int],
                 source: Optional[Union[str, int]] = None,
                 fourcc: str = 'mp4v') -> None:
        if isinstance(source, str) and is_same_file(path, source):
            raise ValueError(
                f'The output {path!r} is the input video {source!r}: '
                'writing it would destroy the input; give another --out.')
        folder, name = osp.split(osp.abspath(path))
        os.makedirs(folder, exist_ok=True)
        stem, ext = osp.splitext(name)
        self.path = path
        # the extension stays last: OpenCV picks the container by it
        self.tmp_path = osp.join(folder, f'.{stem}.tmp{os.getpid()}{ext}')
        self._writer = cv2.VideoWriter(self.tmp_path,
                                       cv2.VideoWriter_fourcc(*fourcc), fps,
                                       tuple(size))
        if not self._writer.isOpened():
            self._remove_tmp()
            raise OSError(f'Cannot write the video {path!r} (OpenCV has no '
                          f'{fourcc} encoder for this file type, or the '
                          'folder is not writable).')
        self.count = 0

    def write(self, frame: np.ndarray) -> None:
        """Append one BGR uint8 frame."""
        self._writer.write(frame)
        self.count += 1

    def close(self, keep: bool = True) -> None:
        """Finish the file: rename it to ``path``, or delete it.

        Args:
            keep (bool): Keep the video (False: leave ``path`` untouched).
                Defaults to True.
        """
        if self._writer is None:
            return
        self._writer.release()
        self._writer = None
        if keep:
            os.replace(self.tmp_path, self.path)
        else:
            self._remove_tmp()

    def _remove_tmp(self) -> None:
        if osp.exists(self.tmp_path):
            os.remove(self.tmp_path)

    def __enter__(self) -> 'VideoFileWriter':
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        self.close(keep=exc_type is None)
