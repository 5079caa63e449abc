"""Decode chosen frames of a video file."""
from typing import List, Sequence

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmpretrain.registry import TRANSFORMS


def read_frames_opencv(path: str, frame_inds: Sequence[int]) -> List:
    """Decode frames of a video with OpenCV, reading it from the start.

    Frames are read in order (``grab`` skips the unused ones without
    converting them), never by seeking, which is inexact in some codecs.

    Args:
        path (str): The video file.
        frame_inds (Sequence[int]): Frame indices, in any order, repeats
            allowed.

    Returns:
        list[np.ndarray]: ``H x W x 3`` uint8 BGR frames in the order of
        ``frame_inds``.
    """
    capture = cv2.VideoCapture(path)
    if not capture.isOpened():
        raise IOError(f'{path}: cannot open the video (missing file, or a '
                      'format OpenCV cannot read).')
    wanted = set(int(i) for i in frame_inds)
    last = max(wanted)
    frames = {}
    try:
        for index in range(last + 1):
            ok = capture.grab()
            if ok and index in wanted:
                ok, frames[index] = capture.retrieve()
            if not ok:
                raise IOError(
                    f'{path}: the video ended (or is corrupt) at frame '
                    f'{index}, but frame {last} is needed; was it truncated '
                    'or changed after its face tracks were made?')
    finally:
        capture.release()
    return [frames[int(i)] for i in frame_inds]


def read_frames_decord(path: str, frame_inds: Sequence[int]) -> List:
    """Decode frames of a video with decord (``get_batch``, exact seeks).

    Args:
        path (str): The video file.
        frame_inds (Sequence[int]): Frame indices.

    Returns:
        list[np.ndarray]: ``H x W x 3`` uint8 BGR frames in the order of
        ``frame_inds``.
    """
    import decord
    try:
        reader = decord.VideoReader(path, num_threads=1)
    except Exception as e:
        raise IOError(f'{path}: cannot open the video with decord '
                      f'({type(e).__name__}: {e}).') from e
    last = int(max(frame_inds))
    if last >= len(reader):
        raise IOError(f'{path}: the video has {len(reader)} frames, but '
                      f'frame {last} is needed; was it truncated or changed '
                      'after its face tracks were made?')
    rgb = reader.get_batch([int(i) for i in frame_inds]).asnumpy()
    return [np.ascontiguousarray(frame[..., ::-1]) for frame in rgb]


READERS = dict(opencv=read_frames_opencv, decord=read_frames_decord)


@TRANSFORMS.register_module()
class LoadVideoFrames(BaseTransform):
    """Decode the frames ``frame_inds`` of a video as BGR images.

    Frames come out as MMCV's ``LoadImageFromFile`` gives images (uint8 BGR
    ``H x W x 3``), so every image transform of the two-view pipeline can be
    applied to them (through ``TransformBroadcaster``). Backends:

    - ``'opencv'`` (default): OpenCV, reading the video from its start up
      to the last needed frame;
    - ``'decord'``: decord's ``get_batch`` (needs ``pip install decord``),
      converted to BGR.

    An unreadable video, or one that ends before a needed frame, raises an
    ``IOError`` naming the file.

    Required Keys:

    - video_path (str)
    - frame_inds (np.ndarray): Frame indices (e.g. from
      :class:`SampleClipFrames`).

    Added Keys:

    - imgs (list[np.ndarray]): One frame per entry of ``frame_inds``.
    - img_shape (tuple[int, int]), ori_shape (tuple[int, int]): ``(H, W)``.

    Args:
        backend (str): ``'opencv'`` or ``'decord'``. Defaults to
            ``'opencv'``.
    """

    def __init__(self, backend: str = 'opencv') -> None:
        if backend not in READERS:
            raise ValueError(f'backend must be one of {sorted(READERS)}, got '
                             f'{backend!r}.')
        self.backend = backend

    def transform(self, results: dict) -> dict:
        """Decode the frames.

        Args:
            results (dict): Result dict with ``video_path``, ``frame_inds``.

        Returns:
            dict: The result dict with ``imgs``.
        """
        frames = READERS[self.backend](results['video_path'],
                                       results['frame_inds'])
        results['imgs'] = frames
        results['img_shape'] = frames[0].shape[:2]
        results['ori_shape'] = frames[0].shape[:2]
        return results

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(backend='{self.backend}')"
