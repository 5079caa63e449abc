"""A memory-mapped cache of the decoded, cropped and resized video frames.

Decoding is most of the cost of the clip pipeline: a training clip of 16
frames at 10 fps decodes about 50 frames of a 30 fps MPEG-4 video, and
converts 16 of them to BGR at full size, before the face crop, the face
masking and the context resize, which give the same arrays in every epoch.
:class:`ClipPipelineCache` stores their output once per *sampled* frame of
every video (the frames ``SampleClipFrames`` can choose), so that an epoch
only draws the clip and runs the random per-frame steps.
"""
from typing import Callable, Dict, List, Sequence

import numpy as np

from .pipeline_cache import TwoViewPipelineCache


class TakeVideoFrame:
    """The first cached step of a frame row: its frame as ``img``.

    A row is filled with the frame its video's fill decoded (``frame``), or
    decodes it alone (a row recomputed after damage).

    Args:
        loader (Callable): A :class:`LoadVideoFrames`.
    """

    def __init__(self, loader: Callable) -> None:
        self.loader = loader

    def __call__(self, results: dict) -> dict:
        frame = results.pop('frame', None)
        if frame is None:
            frame = self.loader(
                dict(
                    video_path=results['img_path'],
                    frame_inds=[results['frame_index']]))['imgs'][0]
        shape = frame.shape[:2]
        results.update(img=frame, img_shape=shape, ori_shape=shape)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}({self.loader!r})'


class ClipPipelineCache(TwoViewPipelineCache):
    """Cache of the per-frame deterministic steps, one row per sampled frame.

    The rows of a video are its sampled frames (``floor(j * step)``, see
    :meth:`SampleClipFrames.sampled_frames`), video after video; each holds
    the frame's face view and context view after the cached steps (e.g.
    ``CropFace``, ``MaskFace``, ``Resize``), as :class:`TwoViewPipelineCache`
    holds them for an image, with the same files, integrity checks and
    invalidation:

    - the folder is named by a hash of the cached steps and of every row's
      video path and frame index (so of the sampling frame rate);
    - a row's stamp hashes its video path, frame index and face box, and the
      video file's size and modification time (or content, with
      ``check='hash'``); a stale row makes the whole video be decoded once
      and all its rows be refilled;
    - a file whose size disagrees with the layout is an error, and a row
      whose CRC-32 does not match is recomputed with a warning.

    Used as a transform after ``SampleClipFrames``: it gives what
    ``LoadVideoFrames`` and a ``TransformBroadcaster`` of the cached steps
    would give (``imgs``, ``face_imgs``, ``face_bboxes``, ``img_shape``,
    ``ori_shape``) for the chosen ``frame_inds``.

    Args:
        cache_dir (str): Parent folder of the cache.
        loader (Callable): The pipeline's :class:`LoadVideoFrames`.
        transforms (Sequence[Callable]): The cached per-frame steps; their
            views must have a fixed size.
        videos (Sequence[dict]): Data info of every sample, in dataset
            order (``video_path``, ``face_track``).
        sampled_frames (Sequence[np.ndarray]): Per video, the source index
            of each sampled frame, increasing.
        check (str): ``'stat'`` or ``'hash'``, see
            :class:`TwoViewPipelineCache`. Defaults to ``'stat'``.
    """

    # frame key -> clip key of the views and face box it gives
    CLIP_KEYS = dict(img='imgs', face_bbox='face_bboxes', face_img='face_imgs')

    def __init__(self,
                 cache_dir: str,
                 loader: Callable,
                 transforms: Sequence[Callable],
                 videos: Sequence[dict],
                 sampled_frames: Sequence[np.ndarray],
                 check: str = 'stat') -> None:
        self.videos = [
            dict(video_path=v['video_path'], face_track=v.get('face_track'))
            for v in videos
        ]
        self.sampled_frames = [np.asarray(f) for f in sampled_frames]
        self.offsets = np.cumsum([0] + [len(f) for f in sampled_frames])
        rows = [
            f'{video["video_path"]}#{frame}'
            for video, frames in zip(self.videos, self.sampled_frames)
            for frame in frames
        ]
        first = self._frame_info(0, 0, None)
        super().__init__(
            cache_dir, [TakeVideoFrame(loader), *transforms],
            rows,
            first,
            check=check)

    def _frame_info(self, video: int, j: int, file_id) -> dict:
        """Data info of sampled frame ``j`` of a video (its row)."""
        info = self.videos[video]
        frame = int(self.sampled_frames[video][j])
        track = info['face_track']
        box = None if track is None or np.isnan(track[frame]).any() else \
            np.asarray(track[frame], dtype=np.float32).copy()
        return dict(
            img_path=info['video_path'],
            frame_index=frame,
            face_bbox=box,
            file_id=file_id,
            sample_idx=int(self.offsets[video] + j))

    def stamp(self, data_info: dict) -> bytes:
        """Digest of a frame row: video path, frame, face box, file id."""
        box = data_info['face_bbox']
        return self.digest([
            data_info['img_path'], data_info['frame_index'],
            None if box is None else np.asarray(box).tolist(),
            data_info['file_id']
        ])

    def update(self, idx: int, data_info: dict) -> int:
        """Compute the rows of a video if any of them is missing or stale.

        Args:
            idx (int): The video's index in the dataset.
            data_info (dict): Its data info (unused: the cache has it).

        Returns:
            int: Rows computed (all the video's sampled frames, or 0).
        """
        file_id = self.file_id(self.videos[idx]['video_path'])
        infos = [
            self._frame_info(idx, j, file_id)
            for j in range(len(self.sampled_frames[idx]))
        ]
        if all(self.is_filled(info['sample_idx'], info) for info in infos):
            return 0
        self._fill_video(idx, file_id)
        return len(infos)

    def _fill_video(self, video: int, file_id) -> None:
        """Decode every sampled frame of a video once; fill all its rows."""
        frames = self.sampled_frames[video]
        decoded = self.transforms.transforms[0].loader(
            dict(
                video_path=self.videos[video]['video_path'],
                frame_inds=frames))['imgs']
        for j, frame in enumerate(decoded):
            info = self._frame_info(video, j, file_id)
            self._fill(info['sample_idx'], dict(info, frame=frame),
                       self.stamp(info))

    def __call__(self, results: dict) -> dict:
        """Add the cached views of the frames ``frame_inds`` of a video.

        Args:
            results (dict): Result dict with ``sample_idx`` (the video) and
                ``frame_inds`` (from ``SampleClipFrames``).

        Returns:
            dict: The result dict with ``imgs``, ``face_imgs``,
            ``face_bboxes`` (one per entry of ``frame_inds``), ``img_shape``
            and ``ori_shape`` (the video's frame size).
        """
        video = results['sample_idx']
        file_id = self.file_id(self.videos[video]['video_path'])
        rows = np.searchsorted(self.sampled_frames[video],
                               results['frame_inds'])
        infos = [self._frame_info(video, int(j), file_id) for j in rows]
        if any(info['frame_index'] != frame
               for info, frame in zip(infos, results['frame_inds'])):
            raise ValueError(
                f'ClipPipelineCache: {self.videos[video]["video_path"]}: '
                f'frames {list(results["frame_inds"])} are not all sampled '
                'frames of the cache (a SampleClipFrames of another '
                'target_fps?).')
        stamps = self.arrays['stamp']
        if any(stamps[info['sample_idx']].tobytes() != self.stamp(info)
               for info in infos):
            self._fill_video(video, file_id)
        frames: List[Dict] = [
            TwoViewPipelineCache.__call__(self, info) for info in infos
        ]
        for frame_key, clip_key in self.CLIP_KEYS.items():
            results[clip_key] = [frame[frame_key] for frame in frames]
        results.update(
            img_shape=frames[0]['ori_shape'], ori_shape=frames[0]['ori_shape'])
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(root={self.root!r}, '
                f'rows={self.num_samples}, check={self.check!r})')
