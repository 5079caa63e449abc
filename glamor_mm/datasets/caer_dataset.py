"""CAER videos with a face track per video."""
import logging
import os.path as osp
import posixpath
from typing import List, Optional, Tuple

import numpy as np
from mmcv.transforms import Compose, TransformBroadcaster
from mmengine.logging import print_log
from mmpretrain.registry import DATASETS

from .base_emotion_dataset import (VIDEO_EXTENSIONS, BaseEmotionDataset,
                                   face_box_problem, invalid_face_boxes,
                                   parse_face_bbox)
from .clip_pipeline_cache import ClipPipelineCache
from .pipeline_cache import split_cacheable
from .transforms import LoadVideoFrames, SampleClipFrames

# d: detected; i: interpolated between two detections; e: extended (the
# nearest detection, before the first or after the last one).
FACE_TRACK_FLAGS = ('d', 'i', 'e')


@DATASETS.register_module()
class CAERDataset(BaseEmotionDataset):
    """CAER (the video dataset of CAER-Net), one sample per video.

    Layout as distributed, plus a face-track annotation file per split::

        data/caer/                          # data_root
        ├── train/Anger/0001.avi ...        # <split>/<Class>/<clip>.avi
        ├── validation/...  test/...
        └── train_tracks.json               # ann_file

    The annotation file (JSON, whatever its extension) is written by
    ``tools/detect_face_tracks.py`` (or by the toy video generator, with the
    true boxes)::

        {"metainfo": {"classes": ["Anger", ..., "Surprise"],
                      "face_tracks": {...how the tracks were made...},
                      "failed": [{"video_path": ..., "error": ...}]},
         "data_list": [
            {"video_path": "train/Anger/0001.avi",  # relative to the root
             "gt_label": 0,
             "num_frames": 87,     # frames that could be decoded
             "fps": 25.0, "height": 400, "width": 712,
             "file_size": 1234567,   # bytes, checked against the file
             "face_track": [[x1, y1, x2, y2], ...],  # one box per frame
             "face_track_flags": "ddddiidd...ee"},   # one flag per frame
            {"video_path": "train/Anger/0002.avi", ...,
             "face_track": null, "face_track_flags": null},  # no face
            ...]}

    Flags: ``d`` detected, ``i`` interpolated between two detections, ``e``
    extended (the nearest detection, before the first / after the last
    one); they are kept in the data info (``face_track_flags``) for analysis
    and do not change the pipeline.

    Every video of the split folder needs an entry and every entry a video
    (paths of other splits are ignored); class folders may use any spelling
    accepted by :func:`normalize_class_name`. Errors name the file and the
    problem: an unknown class folder, a video without an entry, an entry
    without a video, a label that disagrees with the folder, a video whose
    size changed since its tracks were made (re-run the tool), a video the
    tool could not decode (listed in the metainfo's ``failed``), a track
    whose length is not ``num_frames``, a malformed box.

    Track boxes are checked as the image datasets check theirs: a box with
    no area (swapped corners, ``x, y, w, h`` form) or, given the entry's
    ``height`` and ``width``, entirely outside the frame would become an
    all-zero face frame. A split where more than
    ``MAX_INVALID_BOX_RATIO`` of the boxes are invalid is refused;
    otherwise the invalid boxes are counted in a warning that names the
    first ones.

    Videos where the tool found no face (``face_track: null``) follow
    ``no_face``:

    - ``'skip'`` (default): left out of the split; their number is logged
      as a warning, like the papers, whose CAER keeps only clips with a
      detected face;
    - ``'keep'``: kept with ``face_track=None``: every frame's face box is
      None and :class:`CropFace`'s ``missing_face`` policy decides (an
      all-zero face, or an error naming the video);
    - ``'error'``: stop with an error naming the first such video.

    With ``cache_dir`` (and ``cache_check``, see
    :class:`BaseEmotionDataset`), the decoded frames after the per-frame
    deterministic transforms (``CropFace``, ``MaskFace``, ``Resize``) are
    cached, one row per sampled frame (:class:`ClipPipelineCache`); the
    clips are the same as without the cache.

    Data info of a sample: ``video_path`` (str), ``gt_label`` (int),
    ``total_frames`` (int), ``avg_fps`` (float), ``face_track``
    (float32 array ``(total_frames, 4)``, or None) and
    ``face_track_flags`` (str or None).

    Args:
        ann_file (str): The face-track file, relative to ``data_root``.
        split (str): Folder of the split, e.g. ``'train'``,
            ``'validation'`` or ``'test'``.
        data_root (str): Root of the dataset. Defaults to ''.
        data_prefix (str | dict): Video root relative to ``data_root`` (the
            paths in ``ann_file`` are relative to it). Defaults to ''.
        no_face (str): ``'skip'``, ``'keep'`` or ``'error'``, see above.
            Defaults to ``'skip'``.
        **kwargs: Other arguments of :class:`BaseEmotionDataset`
            (``cache_dir``, ``cache_check``) and of
            :class:`mmpretrain.datasets.BaseDataset` (``pipeline``,
            ``test_mode``, ``indices``, ...).
    """

    def __init__(self,
                 ann_file: str,
                 split: str,
                 data_root: str = '',
                 data_prefix: str = '',
                 no_face: str = 'skip',
                 **kwargs) -> None:
        if no_face not in ('skip', 'keep', 'error'):
            raise ValueError("no_face must be 'skip', 'keep' or 'error', got "
                             f'{no_face!r}.')
        self.split = split.strip('/')
        self.no_face = no_face
        self.clip_cache: Optional[ClipPipelineCache] = None
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=data_prefix,
            **kwargs)

    def _read_tracks(self) -> dict:
        """Entries of ``ann_file`` that belong to ``self.split``.

        Returns:
            dict: relative video path -> ``(entry, 'file: data_list[i]')``.
        """
        # JSON only: a face-track file is data, never code to run
        annotations = self._load_ann_file(file_format='json')
        entries = {}
        for i, raw in enumerate(annotations['data_list']):
            where = f'{self.ann_file}: data_list[{i}]'
            if not isinstance(raw, dict) or not {'video_path', 'gt_label'
                                                 } <= set(raw):
                raise ValueError(f'{where} needs "video_path" and "gt_label", '
                                 f'got {str(raw)[:200]}.')
            rel_path = posixpath.normpath(
                str(raw['video_path']).replace('\\', '/'))
            if rel_path.split('/')[0] != self.split:
                continue
            if rel_path in entries:
                raise ValueError(f'{where}: {rel_path!r} is listed twice '
                                 f'(first at {entries[rel_path][1]}).')
            entries[rel_path] = (raw, where)
        if not entries:
            raise ValueError(
                f'{self.ann_file}: none of its {len(annotations["data_list"])}'
                f' entries is a video of split {self.split!r} (paths must '
                f'start with "{self.split}/"); wrong ann_file or split?')
        return entries

    def _parse_entry(self, raw: dict, where: str, path: str) -> dict:
        """Check one entry against its video file and convert its track.

        Args:
            raw (dict): The entry of the annotation file.
            where (str): ``'file: data_list[i]'``, quoted in errors.
            path (str): The video file.

        Returns:
            dict: ``total_frames``, ``avg_fps``, ``face_track``,
            ``face_track_flags``.
        """
        num_frames, fps = raw.get('num_frames'), raw.get('fps')
        if not isinstance(num_frames, int) or num_frames < 1 or not (
                isinstance(fps, (int, float)) and fps > 0):
            raise ValueError(f'{where}: "num_frames" must be a positive '
                             f'integer and "fps" a positive number, got '
                             f'{num_frames!r} and {fps!r}.')
        size = osp.getsize(path)
        if raw.get('file_size') is not None and raw['file_size'] != size:
            raise ValueError(
                f'{where}: {path} has {size} bytes, but its face track was '
                f'made from a file of {raw["file_size"]} bytes (the video '
                'changed or is truncated); re-run '
                'tools/detect_face_tracks.py.')
        track, flags = raw.get('face_track'), raw.get('face_track_flags')
        if track is None:
            return dict(
                total_frames=num_frames,
                avg_fps=float(fps),
                face_track=None,
                face_track_flags=None)
        if not isinstance(track, list) or len(track) != num_frames:
            raise ValueError(
                f'{where}: "face_track" must be a list of one box per frame '
                f'({num_frames} frames), got '
                f'{len(track) if isinstance(track, list) else type(track)}.')
        if flags is not None and (len(flags) != num_frames
                                  or set(flags) - set(FACE_TRACK_FLAGS)):
            raise ValueError(
                f'{where}: "face_track_flags" must have one of '
                f'{"/".join(FACE_TRACK_FLAGS)} per frame ({num_frames}), got '
                f'{flags!r}.')
        boxes = np.full((num_frames, 4), np.nan, dtype=np.float32)
        for t, box in enumerate(track):
            box = parse_face_bbox(box, f'{where}: face_track[{t}]')
            if box is not None:
                boxes[t] = box
        return dict(
            total_frames=num_frames,
            avg_fps=float(fps),
            face_track=boxes,
            face_track_flags=flags)

    @staticmethod
    def _frame_shape(raw: dict, where: str) -> Optional[Tuple[int, int]]:
        """``(height, width)`` of an entry's frames, None if not given."""
        if raw.get('height') is None and raw.get('width') is None:
            return None
        shape = (raw.get('height'), raw.get('width'))
        if not all(isinstance(v, int) and v > 0 for v in shape):
            raise ValueError(f'{where}: "height" and "width" must be positive '
                             f'integers, got {shape[0]!r} and {shape[1]!r}.')
        return shape

    def load_data_list(self) -> List[dict]:
        """Load the videos of the split and their face tracks.

        Returns:
            list[dict]: One entry per video (see the class docstring).
        """
        entries = self._read_tracks()
        failed = {
            item['video_path']: item.get('error')
            for item in self.metainfo.get('failed', [])
        }
        split_dir = osp.join(self.img_prefix, self.split)
        data_list, no_face = [], []
        num_boxes, invalid_videos, examples = 0, [], []
        for rel_in_split, label in self._scan_class_folders(
                split_dir, VIDEO_EXTENSIONS):
            rel_path = f'{self.split}/{rel_in_split}'
            path = osp.join(self.img_prefix, rel_path)
            if rel_path in failed:
                raise ValueError(
                    f'{self.ann_file}: the face-track tool could not decode '
                    f'{path} ({failed[rel_path]}); re-encode or delete the '
                    'video and re-run tools/detect_face_tracks.py.')
            if rel_path not in entries:
                raise ValueError(
                    f'{self.ann_file} has no face track for video {path}; '
                    'run tools/detect_face_tracks.py on the split (it '
                    'resumes and only processes the missing videos).')
            raw, where = entries.pop(rel_path)
            if self._check_label(raw['gt_label'], where) != label:
                raise ValueError(
                    f'{where}: label {raw["gt_label"]} '
                    f'({self.CLASSES[int(raw["gt_label"])]}) disagrees with '
                    f'the class folder of {path} ({self.CLASSES[label]}).')
            info = dict(
                video_path=path,
                gt_label=label,
                **self._parse_entry(raw, where, path))
            track = info['face_track']
            if track is not None:
                shape = self._frame_shape(raw, where)
                invalid = invalid_face_boxes(track, shape)
                num_boxes += int((~np.isnan(track).any(axis=1)).sum())
                if invalid.any():
                    invalid_videos.append(int(invalid.sum()))
                    first = int(invalid.argmax())
                    examples.append(f'{path} frame {first}: '
                                    f'{face_box_problem(track[first], shape)}')
            if info['face_track'] is None:
                if self.no_face == 'error':
                    raise ValueError(f'{where}: no face was found in {path} '
                                     "(CAERDataset(no_face='error')).")
                no_face.append(path)
                if self.no_face == 'skip':
                    continue
            data_list.append(info)
        if invalid_videos:
            text = self._check_invalid_share(
                sum(invalid_videos), num_boxes, examples[:3], split_dir)
            print_log(
                f'{type(self).__name__} ({split_dir}): {sum(invalid_videos)} '
                f'of {num_boxes} face-track boxes, in {len(invalid_videos)} '
                f'video(s), are invalid ({text}); those face frames follow '
                "CropFace's missing_face policy (all-zero by default).",
                logger='current',
                level=logging.WARNING)
        if entries:
            rel_path, (_, where) = next(iter(entries.items()))
            raise FileNotFoundError(
                f'{where}: video {rel_path!r} is not in {split_dir!r} '
                f'({len(entries)} listed video(s) of split {self.split!r} '
                'are missing on disk).')
        if no_face:
            action = 'left out' if self.no_face == 'skip' else (
                "kept; CropFace's missing_face policy decides")
            print_log(
                f'{type(self).__name__} ({split_dir}): {len(no_face)} '
                f'video(s) have no face track ({action}), e.g. '
                f'{no_face[0]}.',
                logger='current',
                level=logging.WARNING)
        return self._check_not_empty(data_list, split_dir)

    def _open_pipeline_cache(self, cache_dir: str) -> None:
        """Cache the decoded frames after the per-frame deterministic steps.

        The pipeline must start with ``SampleClipFrames``,
        ``LoadVideoFrames`` and a ``TransformBroadcaster`` whose first
        transforms are cacheable (e.g. ``CropFace``, ``MaskFace``,
        ``Resize``); they become ``SampleClipFrames``, a
        :class:`ClipPipelineCache` and a ``TransformBroadcaster`` of the
        remaining per-frame transforms.
        """
        transforms = list(self.pipeline.transforms)
        kinds = (SampleClipFrames, LoadVideoFrames, TransformBroadcaster)
        cached = []
        if len(transforms) >= 3 and all(
                isinstance(t, kind) for t, kind in zip(transforms, kinds)
        ) and transforms[2].remapping == ClipPipelineCache.CLIP_KEYS:
            sampler, loader, broadcaster = transforms[:3]
            cached, rest = split_cacheable(broadcaster.transforms.transforms)
        if not cached:
            raise ValueError(
                f'{type(self).__name__}: the pipeline cache (cache_dir) '
                'needs a pipeline that starts with SampleClipFrames, '
                'LoadVideoFrames and a TransformBroadcaster (remapping='
                f'{ClipPipelineCache.CLIP_KEYS}) whose first transforms are '
                'cacheable (CropFace, MaskFace, Resize...); got '
                f'{[type(t).__name__ for t in transforms[:3]]}.')
        infos = [self.get_data_info(i) for i in range(len(self))]
        cache = ClipPipelineCache(
            cache_dir,
            loader,
            cached,
            infos, [
                sampler.sampled_frames(info['total_frames'], info['avg_fps'])
                for info in infos
            ],
            check=self.cache_check)
        # the remaining steps see the cached keys under their clip names
        per_frame = TransformBroadcaster(
            transforms=rest,
            mapping=broadcaster.remapping,
            remapping=broadcaster.remapping,
            share_random_params=broadcaster.share_random_params)
        self.clip_cache = cache
        self.pipeline = Compose([sampler, cache, per_frame, *transforms[3:]])

    def extra_repr(self) -> List[str]:
        """The extra repr information of the dataset."""
        return super().extra_repr() + [
            f'Split: \t{self.split}',
            f'Videos without a face: \t{self.no_face}'
        ]
