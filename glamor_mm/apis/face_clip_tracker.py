"""Classify the last clip of every face tracked in a stream of frames."""
import math
from collections import deque
from typing import List, Optional, Sequence, Union

import numpy as np
import torch
from mmcv.transforms import Compose, TransformBroadcaster
from mmengine.config import Config
from mmpretrain.registry import MODELS, TRANSFORMS
from mmpretrain.structures import DataSample

from glamor_mm.datasets.categories import CAER_CLASSES
from glamor_mm.datasets.transforms import (PackTwoViewClipInputs,
                                           SampleClipFrames)
from glamor_mm.models.detectors import (detect_faces, init_face_detector,
                                        keep_default_scope)
from glamor_mm.checkpoint import load_checkpoint_checked
from .face_tracks import match_by_iou


class FaceClipTracker:
    """Follow the faces of a video stream and classify each face's last clip.

    The clip-model counterpart of :class:`GlamorInferencer` +
    :class:`FaceScoreTracker` for ``demo/video_demo.py``. Frames are fed one
    at a time; every frame of the clip rate (the ``target_fps`` of the
    config's :class:`SampleClipFrames`: every 3rd frame of a 30 fps video
    for 10 fps clips) is *sampled*:

    1. its faces are detected and matched to the tracks of the previous
       sampled frames by box overlap (greedily, highest IoU first); an
       unmatched face starts a track, a track unseen for more than
       ``max_age`` sampled frames ends;
    2. the per-frame steps of the config's test pipeline (those inside its
       ``TransformBroadcaster``: ``CropFace``, ``MaskFace``, ``Resize``,
       ``CenterCrop``...) make the face view and the context view of each
       face (the context with this face masked, as in training);
    3. each track keeps its last ``clip_len`` views in a bounded queue, so
       memory depends on the number of faces, not on the length of the
       video; once a track has a whole clip, the clip is classified (all
       such tracks of the frame in one batch).

    Args:
        model (str | Config): Config of a clip classifier (e.g.
            ``configs/video/caernet_original3d_1xb32-12e_caer.py``).
        pretrained (str, optional): Its checkpoint. Defaults to None
            (random weights).
        detector (str | Config): Face detector config. Defaults to
            ``'configs/face_detectors/dlib_hog.py'``.
        detector_weights (str, optional): Detector checkpoint. Defaults to
            None.
        device (str): Device of both models. Defaults to 'cpu'.
        det_score_thr (float): Detections below it are ignored. Defaults
            to 0.
        partial_load (bool): Load a checkpoint that does not fit the model
            as far as it fits. Defaults to False.
        iou_thr (float): Smallest IoU to continue a track. Defaults to 0.3.
        max_age (int): Sampled frames a track survives without its face.
            Defaults to 5.
    """

    def __init__(self,
                 model: Union[str, Config],
                 pretrained: Optional[str] = None,
                 detector: Union[str, Config] = (
                     'configs/face_detectors/dlib_hog.py'),
                 detector_weights: Optional[str] = None,
                 device: str = 'cpu',
                 det_score_thr: float = 0.,
                 partial_load: bool = False,
                 iou_thr: float = 0.3,
                 max_age: int = 5) -> None:
        cfg = Config.fromfile(model) if isinstance(model, str) else model
        with keep_default_scope('mmpretrain'):
            steps = [
                TRANSFORMS.build(t)
                for t in cfg.test_dataloader.dataset.pipeline
            ]
            self.model = MODELS.build(cfg.model)
        sampler = [t for t in steps if isinstance(t, SampleClipFrames)]
        frames = [t for t in steps if isinstance(t, TransformBroadcaster)]
        if not sampler or not frames:
            raise ValueError(
                'FaceClipTracker needs a clip config: its test pipeline must '
                'have a SampleClipFrames and a TransformBroadcaster of the '
                'per-frame transforms.')
        self.clip_len = sampler[0].clip_len
        self.target_fps = sampler[0].target_fps
        self.frame_pipeline = Compose(list(frames[0].transforms))
        self.classes = CAER_CLASSES
        if pretrained:
            checkpoint = load_checkpoint_checked(
                self.model,
                pretrained,
                partial=partial_load,
                opt_in='pass partial_load=True (--partial-load in the demo)')
            self.classes = checkpoint.get('meta',
                                          {}).get('dataset_meta', {}).get(
                                              'classes', self.classes)
        self.model.to(device).eval()
        self.detector = init_face_detector(
            detector, detector_weights, device=device)
        self.det_score_thr = det_score_thr
        self.iou_thr = iou_thr
        self.max_age = max_age
        self.tracks: List[dict] = []
        self._next_id = 0

    def frame_step(self, fps: float) -> float:
        """Video frames per sampled frame (as in :class:`SampleClipFrames`).

        Args:
            fps (float): Frame rate of the video.

        Returns:
            float: ``max(1, fps / target_fps)``.
        """
        return max(1., fps / self.target_fps)

    def is_sampled(self, index: int, fps: float) -> bool:
        """Whether frame ``index`` of a ``fps`` video is a clip frame.

        Sampled frame ``j`` is video frame ``floor(j * step)``.

        Args:
            index (int): Frame index in the video.
            fps (float): Frame rate of the video.

        Returns:
            bool: True for the frames :meth:`update` must see.
        """
        step = self.frame_step(fps)
        return math.floor(math.ceil(index / step) * step) == index

    def _views(self, frame: np.ndarray, box: np.ndarray) -> tuple:
        """Face and context views of one face of one frame."""
        out = self.frame_pipeline(
            dict(
                img=frame,
                face_bbox=box,
                img_shape=frame.shape[:2],
                ori_shape=frame.shape[:2]))
        return out['face_img'], out['img']

    @torch.no_grad()
    def _classify(self, tracks: Sequence[dict]) -> List[DataSample]:
        """Classify the full clips of ``tracks`` in one batch."""
        views = {}
        for key, index in (('face', 0), ('context', 1)):
            clips = [
                PackTwoViewClipInputs.stack_clips(
                    [v[index] for v in track['views']], 1, self.clip_len)
                for track in tracks
            ]
            views[key] = torch.from_numpy(np.stack(clips))
        samples = [DataSample(metainfo=dict(num_clips=1)) for _ in tracks]
        return self.model.test_step(dict(inputs=views, data_samples=samples))

    def update(self, frame: np.ndarray) -> List[DataSample]:
        """Take one sampled frame; classify the faces with a whole clip.

        Args:
            frame (np.ndarray): BGR uint8 frame, ``H x W x 3``.

        Returns:
            list[DataSample]: One prediction per face of this frame whose
            track has ``clip_len`` frames: ``pred_score``, ``pred_label`` and
            metainfo ``face_bbox`` (in this frame) and ``track_id``.
        """
        for track in self.tracks:
            track['age'] += 1
        boxes, _ = detect_faces(self.detector, frame, self.det_score_thr)[0]
        previous = torch.stack([t['box'] for t in self.tracks]) \
            if self.tracks else torch.zeros(0, 4)
        matched = match_by_iou(torch.from_numpy(boxes), previous, self.iou_thr)
        seen = []
        for i, box in enumerate(boxes):
            if i in matched:
                track = self.tracks[matched[i]]
            else:
                track = dict(
                    id=self._next_id, views=deque(maxlen=self.clip_len))
                self._next_id += 1
                self.tracks.append(track)
            track.update(box=torch.from_numpy(box), age=0)
            track['views'].append(self._views(frame, box))
            seen.append(track)
        self.tracks = [t for t in self.tracks if t['age'] <= self.max_age]
        full = [t for t in seen if len(t['views']) == self.clip_len]
        if not full:
            return []
        predictions = self._classify(full)
        for track, pred in zip(full, predictions):
            pred.set_metainfo(
                dict(face_bbox=track['box'].numpy(), track_id=track['id']))
        return predictions
