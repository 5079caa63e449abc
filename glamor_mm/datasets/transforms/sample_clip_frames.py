"""Choose the frames of the clips of a video (CAER-Net's clip sampling)."""
import math
from typing import List

import numpy as np
from mmcv.transforms import BaseTransform
from mmpretrain.registry import TRANSFORMS


@TRANSFORMS.register_module()
class SampleClipFrames(BaseTransform):
    """Sample consecutive-frame clips at a fixed frame rate (CAER-Net §5.1).

    CAER-Net trains on one clip of 16 consecutive frames sampled at 10 fps,
    at a random position of each video, and tests on all 16-frame clips of
    a video with an 8-frame overlap, averaging their predictions. Like
    MMAction2's ``SampleFrames`` this transform only chooses frame indices
    (``frame_inds``), which :class:`LoadVideoFrames` then decodes.

    The video is first resampled to ``target_fps``: sampled frame ``j`` is
    source frame ``floor(j * step)`` with ``step = max(1, avg_fps /
    target_fps)`` (every 3rd frame of a 30 fps video, every 2.5th of a
    25 fps one, every frame of a video at ``target_fps`` or slower). With
    ``n`` sampled frames:

    - training (``test_mode=False``): one clip, starting at a sampled frame
      drawn uniformly from ``0 .. n - clip_len``;
    - testing: the clips starting at sampled frames ``0, stride, 2 * stride,
      ...`` that fit in the video (``start + clip_len <= n``): 16/8 clips of
      a 40-frame video start at 0, 8, 16 and 24. Frames after the last whole
      clip are not used.

    A video of fewer than ``clip_len`` sampled frames gives one clip, padded
    by repeating its last frame.

    Required Keys:

    - total_frames (int): Number of frames of the video.
    - avg_fps (float): Its frame rate.
    - face_track (np.ndarray | None, optional): ``(total_frames, 4)`` face
      boxes, NaN rows for frames without one.

    Added Keys:

    - frame_inds (np.ndarray): ``(num_clips * clip_len,)`` int64 source
      frame indices, clip after clip.
    - clip_len (int), num_clips (int), frame_interval (float): ``step``.
    - clip_starts (list[int]): Source frame index of each clip's first
      frame.
    - face_bboxes (list): Per entry of ``frame_inds``, the face box as a
      float32 array ``(4,)``, or None.

    Args:
        clip_len (int): Frames per clip. Defaults to 16.
        target_fps (float): Frame rate the clips are sampled at. Defaults
            to 10.
        stride (int): Sampled frames between the starts of two test clips.
            Defaults to 8.
        test_mode (bool): Sliding clips (True) or one random clip (False).
            Defaults to False.
    """

    def __init__(self,
                 clip_len: int = 16,
                 target_fps: float = 10.,
                 stride: int = 8,
                 test_mode: bool = False) -> None:
        if clip_len < 1 or stride < 1 or target_fps <= 0:
            raise ValueError('clip_len and stride must be >= 1 and '
                             f'target_fps > 0, got {clip_len}, {stride}, '
                             f'{target_fps}.')
        self.clip_len = clip_len
        self.target_fps = target_fps
        self.stride = stride
        self.test_mode = test_mode

    def frame_step(self, fps: float) -> float:
        """Source frames per sampled frame: ``max(1, fps / target_fps)``.

        Args:
            fps (float): Frame rate of the video.

        Returns:
            float: The step; sampled frame ``j`` is source frame
            ``floor(j * step)``.
        """
        return max(1., fps / self.target_fps)

    def is_sampled(self, index: int, fps: float) -> bool:
        """Whether source frame ``index`` is a sampled frame.

        The test for a stream, frame by frame (``demo/video_demo.py``'s
        clip mode); it holds for exactly the frames ``floor(j * step)``
        that :meth:`transform` chooses.

        Args:
            index (int): Frame index in the video.
            fps (float): Frame rate of the video.

        Returns:
            bool: True for a sampled frame.
        """
        step = self.frame_step(fps)
        guess = index / step
        return any(
            math.floor(j * step) == index
            for j in (math.floor(guess), math.ceil(guess)))

    def num_sampled(self, total: int, fps: float) -> int:
        """Number of sampled frames of a video: the ``j`` with
        ``floor(j * step) < total``.

        Args:
            total (int): Number of frames of the video.
            fps (float): Its frame rate.

        Returns:
            int: The count (float-safe).
        """
        step = self.frame_step(fps)
        count = math.floor((total - 1) / step) + 1
        while math.floor(count * step) < total:
            count += 1
        return count

    def sampled_frames(self, total: int, fps: float) -> np.ndarray:
        """Source frame index of every sampled frame of a video.

        Args:
            total (int): Number of frames of the video.
            fps (float): Its frame rate.

        Returns:
            np.ndarray: ``floor(j * step)`` for ``j = 0 ..
            num_sampled - 1``, int64, increasing.
        """
        sampled = np.arange(self.num_sampled(total, fps))
        return np.floor(sampled * self.frame_step(fps)).astype(np.int64)

    def clip_starts(self, num_sampled: int) -> List[int]:
        """Starts of the clips, in sampled frames.

        Args:
            num_sampled (int): Number of sampled frames of the video.

        Returns:
            list[int]: One start in training, the sliding starts in testing.
        """
        last = max(num_sampled - self.clip_len, 0)
        if self.test_mode:
            return list(range(0, last + 1, self.stride))
        return [int(np.random.randint(last + 1))]

    def transform(self, results: dict) -> dict:
        """Add ``frame_inds`` and the clips' face boxes.

        Args:
            results (dict): Result dict with ``total_frames``, ``avg_fps``.

        Returns:
            dict: The result dict with the sampled frames.
        """
        total, fps = int(results['total_frames']), float(results['avg_fps'])
        if total < 1 or fps <= 0:
            raise ValueError(f'{results.get("video_path")}: cannot sample '
                             f'clips from {total} frames at {fps} fps.')
        step = self.frame_step(fps)
        num_sampled = self.num_sampled(total, fps)
        starts = self.clip_starts(num_sampled)
        sampled = np.array(
            [[min(s + i, num_sampled - 1) for i in range(self.clip_len)]
             for s in starts],
            dtype=np.int64)
        frame_inds = np.floor(sampled * step).astype(np.int64).reshape(-1)
        track = results.get('face_track')
        if track is None:
            boxes = [None] * len(frame_inds)
        else:
            track = np.asarray(track, dtype=np.float32).reshape(-1, 4)
            boxes = [
                None if np.isnan(track[i]).any() else track[i].copy()
                for i in frame_inds
            ]
        results.update(
            frame_inds=frame_inds,
            clip_len=self.clip_len,
            num_clips=len(starts),
            frame_interval=step,
            clip_starts=[int(math.floor(s * step)) for s in starts],
            face_bboxes=boxes)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(clip_len={self.clip_len}, '
                f'target_fps={self.target_fps}, stride={self.stride}, '
                f'test_mode={self.test_mode})')
