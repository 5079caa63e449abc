"""Classify the last clip of every face tracked in a stream of frames."""
from collections import deque
from contextlib import nullcontext
from typing import List, Optional, Sequence, Union

import numpy as np
import torch
from mmcv.transforms import Compose, TransformBroadcaster
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS, TRANSFORMS
from mmpretrain.structures import DataSample

from glamor_mm.datasets.categories import CAER_CLASSES
from glamor_mm.datasets.transforms import (PackTwoViewClipInputs,
                                           SampleClipFrames)
from glamor_mm.checkpoint import load_checkpoint_checked
from .face_detection import detect_faces, init_face_detector
from .face_tracker import FaceTracker


class FaceClipTracker:
    """Follow the faces of a video stream and classify each face's last clip.

    The clip-model counterpart of :class:`GlamorInferencer` +
    :class:`FaceScoreTracker` for ``demo/video_demo.py``. Frames are fed one
    at a time; every frame of the clip rate (the ``target_fps`` of the
    config's :class:`SampleClipFrames`: every 3rd frame of a 30 fps video
    for 10 fps clips) is *sampled*:

    1. its faces are detected and followed from sampled frame to sampled
       frame by :class:`FaceTracker` (box overlap with a motion model): an
       unmatched face starts a track, a track missed on more than
       ``max_gap`` sampled frames in a row ends;
    2. the per-frame steps of the config's test pipeline (those inside its
       ``TransformBroadcaster``: ``CropFace``, ``MaskFace``, ``Resize``,
       ``CenterCrop``...) make the face view and the context view of each
       face (the context with this face masked, as in training);
    3. each track keeps its last ``clip_len`` views in a bounded queue, so
       memory depends on the number of faces, not on the length of the
       video. A sampled frame where a live track's face was missed adds the
       views at the track's predicted box, so that a window is always
       ``clip_len`` consecutive sampled frames, as the training clips are
       (whose missed frames get interpolated boxes); once a face seen in
       this frame has a whole clip, the clip is classified (all such faces
       of the frame in one batch) as ``model.test_step`` classifies the
       dataset's clips: the config's top-level ``data_preprocessor``
       (mean, std, BGR to RGB) is the model's, as in training.

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
        max_gap (int): Sampled frames in a row a track may miss (see
            :class:`FaceTracker`). Defaults to 5.
        stride (int): Sampled frames between two classifications of a
            face's window: 1 classifies every sampled frame; the test
            pipeline's stride (8 for CAER) classifies the windows that the
            dataset's test clips are, at an eighth of the cost. Defaults
            to 1.
        timer (StageTimer, optional): Times the ``detect``, ``track``
            (views included) and ``classify`` stages. Defaults to None.
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
                 max_gap: int = 5,
                 stride: int = 1,
                 timer=None) -> None:
        if stride < 1:
            raise ValueError(f'stride must be >= 1, got {stride}.')
        cfg = Config.fromfile(model) if isinstance(model, str) else model
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            steps = [
                TRANSFORMS.build(t)
                for t in cfg.test_dataloader.dataset.pipeline
            ]
            # the top-level data_preprocessor, as MMEngine's Runner does
            self.model = MODELS.build(
                dict(
                    cfg.model,
                    data_preprocessor=cfg.model.get(
                        'data_preprocessor', cfg.get('data_preprocessor'))))
        sampler = [t for t in steps if isinstance(t, SampleClipFrames)]
        frames = [t for t in steps if isinstance(t, TransformBroadcaster)]
        if not sampler or not frames:
            raise ValueError(
                'FaceClipTracker needs a clip config: its test pipeline must '
                'have a SampleClipFrames and a TransformBroadcaster of the '
                'per-frame transforms.')
        self.sampler = sampler[0]
        self.clip_len = self.sampler.clip_len
        self.target_fps = self.sampler.target_fps
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
        self.tracker = FaceTracker(iou_thr=iou_thr, max_gap=max_gap)
        self.stride = stride
        self.timer = timer

    @property
    def tracks(self) -> list:
        """The live face tracks (:class:`FaceTrack`; ``data['views']``)."""
        return self.tracker.tracks

    def frame_step(self, fps: float) -> float:
        """Video frames per sampled frame (as :class:`SampleClipFrames`).

        Args:
            fps (float): Frame rate of the video.

        Returns:
            float: ``max(1, fps / target_fps)``.
        """
        return self.sampler.frame_step(fps)

    def is_sampled(self, index: int, fps: float) -> bool:
        """Whether frame ``index`` of a ``fps`` video is a clip frame.

        The rule of the training clips (:meth:`SampleClipFrames.is_sampled`).

        Args:
            index (int): Frame index in the video.
            fps (float): Frame rate of the video.

        Returns:
            bool: True for the frames :meth:`update` must see.
        """
        return self.sampler.is_sampled(index, fps)

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
                    [v[index] for v in track.data['views']], 1, self.clip_len)
                for track in tracks
            ]
            views[key] = torch.from_numpy(np.stack(clips))
        samples = [DataSample(metainfo=dict(num_clips=1)) for _ in tracks]
        return self.model.test_step(dict(inputs=views, data_samples=samples))

    def _stage(self, name: str):
        return nullcontext() if self.timer is None else self.timer(name)

    def update(self, frame: np.ndarray) -> List[DataSample]:
        """Take one sampled frame; classify the faces with a whole clip.

        Args:
            frame (np.ndarray): BGR uint8 frame, ``H x W x 3``.

        Returns:
            list[DataSample]: One prediction per face of this frame whose
            track has ``clip_len`` frames: ``pred_score``, ``pred_label`` and
            metainfo ``face_bbox`` (in this frame) and ``track_id``. A face
            classified less than ``stride`` sampled frames ago keeps that
            prediction (at its box in this frame).
        """
        with self._stage('detect'):
            boxes, _ = detect_faces(self.detector, frame,
                                    self.det_score_thr)[0]
        with self._stage('track'):
            seen = self.tracker.update(boxes)
            for track in self.tracker.tracks:
                views = track.data.setdefault('views',
                                              deque(maxlen=self.clip_len))
                box = track.box if track.frame == self.tracker.frame else \
                    self.tracker.predict(track)
                views.append(self._views(frame, box.astype(np.float32)))
                track.data['new'] = track.data.get('new', 0) + 1
        due = [
            t for t in seen if len(t.data['views']) == self.clip_len
            and t.data['new'] >= self.stride
        ]
        if due:
            with self._stage('classify'):
                for track, pred in zip(due, self._classify(due)):
                    track.data.update(pred=pred, new=0)
        predictions = []
        for track in seen:
            if 'pred' in track.data:
                pred = track.data['pred'].clone()
                pred.set_metainfo(
                    dict(
                        face_bbox=track.box.astype(np.float32),
                        track_id=track.id))
                predictions.append(pred)
        return predictions
