"""Emotions of the faces of a video stream, at the speed of the stream."""
from contextlib import nullcontext
from typing import List, Optional

import cv2
import numpy as np
from mmpretrain.structures import DataSample

from .face_detection import detect_faces
from .face_score_tracker import FaceScoreTracker
from .face_tracker import FaceTracker
from .glamor_inferencer import GlamorInferencer


class VideoFaceRecognizer:
    """Detect, follow and classify the faces of a video, frame by frame.

    The image-model engine of ``demo/video_demo.py``. Per frame:

    1. **detect** on every ``detect_every``-th frame, optionally on a copy
       of the frame scaled by ``det_scale`` (faces must stay above the
       detector's smallest size: 80 px for dlib's HOG), and on the frame
       after a detection that missed a followed face (re-detection on track
       loss);
    2. **track**: :class:`FaceTracker` matches the detections to the
       followed faces (box overlap with a constant-velocity motion model)
       and moves the boxes along between detections; a face is reported
       while it was found by the last detection that ran;
    3. **classify** the reported faces every ``classify_every``-th frame,
       all faces of the frame in one batch with the context encoded once
       (:meth:`GlamorInferencer.classify_faces`), and whenever a face has
       no score yet; scores are smoothed per face (``alpha``, as
       :class:`FaceScoreTracker`), and a frame that is not classified
       shows each face's last smoothed scores.

    ``detect_every=1, classify_every=1`` is the plain every-frame pipeline.

    Args:
        inferencer (GlamorInferencer): The classifier and its detector.
        detect_every (int): Frames per detection. Defaults to 5.
        det_scale (float): Scale of the frame given to the detector, in
            (0, 1]. Defaults to 1.
        classify_every (int): Frames per classification. Defaults to 1.
        alpha (float): Weight of the past scores. Defaults to 0.7.
        iou_thr (float): Box IoU that continues a track. Defaults to 0.3.
        max_gap (int): Detector runs a followed face may miss. Defaults
            to 2.
        timer (StageTimer, optional): Times the ``detect``, ``track`` and
            ``classify`` stages. Defaults to None.
    """

    def __init__(self,
                 inferencer: GlamorInferencer,
                 detect_every: int = 5,
                 det_scale: float = 1.,
                 classify_every: int = 1,
                 alpha: float = 0.7,
                 iou_thr: float = 0.3,
                 max_gap: int = 2,
                 timer=None) -> None:
        if detect_every < 1 or classify_every < 1:
            raise ValueError('detect_every and classify_every must be >= 1, '
                             f'got {detect_every} and {classify_every}.')
        if not 0 < det_scale <= 1:
            raise ValueError(f'det_scale must be in (0, 1], got {det_scale}.')
        self.inferencer = inferencer
        self.classes = inferencer.classes
        self.detect_every = detect_every
        self.det_scale = det_scale
        self.classify_every = classify_every
        self.tracker = FaceTracker(iou_thr=iou_thr, max_gap=max_gap)
        self.scores = FaceScoreTracker(alpha, tracker=self.tracker)
        self.timer = timer
        self._detect_next = True
        self._index = -1

    def _stage(self, name: str):
        return nullcontext() if self.timer is None else self.timer(name)

    def _detect(self, frame: np.ndarray) -> np.ndarray:
        """Face boxes of a frame, found on its scaled copy."""
        image = frame
        if self.det_scale != 1:
            image = cv2.resize(
                frame,
                None,
                fx=self.det_scale,
                fy=self.det_scale,
                interpolation=cv2.INTER_AREA)
        boxes, _ = detect_faces(self.inferencer.detector, image,
                                self.inferencer.det_score_thr)[0]
        return np.asarray(boxes, np.float64).reshape(-1, 4) / self.det_scale

    def __call__(self,
                 frame: np.ndarray,
                 index: Optional[int] = None) -> List[DataSample]:
        """The faces of the next frame of the stream.

        Args:
            frame (np.ndarray): BGR uint8 frame, ``H x W x 3``.
            index (int, optional): Its index in the video, when frames may
                have been dropped since the previous call (the motion model
                then moves the faces over the dropped frames). Defaults to
                None (the frame after the previous one).

        Returns:
            list[DataSample]: One per reported face: ``pred_score``,
            ``pred_label`` (smoothed) and metainfo ``face_bbox`` (its box
            in this frame) and ``track_id``.
        """
        self._index += 1
        while index is not None and self._index < index:  # dropped frames
            self.tracker.skip()
            self._index += 1
        detect = self._detect_next or self._index % self.detect_every == 0
        if detect:
            with self._stage('detect'):
                boxes = self._detect(frame)
            with self._stage('track'):
                self.tracker.update(boxes)
                # a followed face was missed: look again at once
                self._detect_next = any(t.misses for t in self.tracker.tracks)
        else:
            with self._stage('track'):
                self.tracker.skip()
        with self._stage('track'):
            height, width = frame.shape[:2]
            tracks = [t for t in self.tracker.tracks if t.misses == 0]
            boxes = np.array([self.tracker.predict(t)
                              for t in tracks]).reshape(-1, 4)
            boxes = boxes.clip(0, [width, height, width, height])
            keep = (boxes[:, 2] > boxes[:, 0] + 1) & (
                boxes[:, 3] > boxes[:, 1] + 1)
            tracks = [t for t, k in zip(tracks, keep) if k]
            boxes = boxes[keep]
        if not tracks:
            return []
        classify = self._index % self.classify_every == 0 or any(
            'score' not in t.data for t in tracks)
        if classify:
            with self._stage('classify'):
                faces = self.inferencer.classify_faces(frame, boxes)
                return self.scores.smooth(faces, tracks)
        faces = []
        for track, box in zip(tracks, boxes):
            score = track.data['score']
            face = DataSample(
                metainfo=dict(
                    face_bbox=box.astype(np.float32), track_id=track.id))
            faces.append(
                face.set_pred_score(score.clone()).set_pred_label(
                    int(score.argmax())))
        return faces
