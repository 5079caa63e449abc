"""Follow faces from frame to frame: the one box tracker of glamor_mm."""
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import numpy as np
import torch
from mmdet.structures.bbox import bbox_overlaps


def match_by_iou(boxes: torch.Tensor, previous: torch.Tensor,
                 iou_thr: float) -> Dict[int, int]:
    """Match boxes to previous boxes greedily, highest IoU first.

    Args:
        boxes (torch.Tensor): New boxes, shape (K, 4).
        previous (torch.Tensor): Previous boxes, shape (M, 4).
        iou_thr (float): Smallest IoU of a match.

    Returns:
        dict[int, int]: Index in ``boxes`` -> index in ``previous``; each
        index is used at most once.
    """
    ious = bbox_overlaps(boxes.float(), previous.float())
    matched = {}
    while ious.numel() and ious.max() >= iou_thr:
        i, j = divmod(int(ious.argmax()), ious.size(1))
        matched[i] = j
        ious[i, :] = -1
        ious[:, j] = -1
    return matched


@dataclass
class FaceTrack:
    """One followed face.

    Attributes:
        id (int): Track number, unique within one :class:`FaceTracker`.
        box (np.ndarray): Last detected box ``(x1, y1, x2, y2)``, float64.
        frame (int): Frame of that detection.
        velocity (np.ndarray): Box change per frame (the motion model).
        hits (int): Detections of the face.
        misses (int): Detector runs in a row that did not find the face.
        data (dict): Free room for the tracker's users (scores, clips...).
    """
    id: int
    box: np.ndarray
    frame: int
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(4))
    hits: int = 1
    misses: int = 0
    data: dict = field(default_factory=dict)


class FaceTracker:
    """Follow faces by box overlap with a constant-velocity motion model.

    Frames are given one by one: :meth:`update` for a frame the face
    detector ran on, :meth:`skip` for a frame it did not run on. On a
    detected frame, every live track's box is *predicted* for this frame
    (its last detected box moved by its velocity times the frames since);
    the detections are matched to the predictions greedily, highest IoU
    first (at least ``iou_thr``); a matched track takes the detected box
    and updates its velocity, an unmatched detection starts a track, and an
    unmatched track counts a *miss*.

    The gap rule, the same for every user of the tracker: only detector
    runs count. A track that missed ``max_gap`` runs in a row can still be
    continued; its next miss ends it (it leaves :attr:`tracks` at once).
    Frames given to :meth:`skip` are neither misses nor detections, so
    detecting every N-th frame does not shorten the tracks' lives in time
    by N.

    Args:
        iou_thr (float): Smallest IoU between a detection and a track's
            predicted box to continue the track. Defaults to 0.3.
        max_gap (int): Detector runs in a row a track may miss. Defaults
            to 5.
        motion (bool): Predict boxes with the track's velocity (the mean
            of its last box changes); False keeps the last detected box.
            Defaults to True.
        momentum (float): Weight of the past velocity when a new detection
            gives a new one, in [0, 1). Defaults to 0.5.
    """

    def __init__(self,
                 iou_thr: float = 0.3,
                 max_gap: int = 5,
                 motion: bool = True,
                 momentum: float = 0.5) -> None:
        if max_gap < 0:
            raise ValueError(f'max_gap must be >= 0, got {max_gap}.')
        if not 0 <= momentum < 1:
            raise ValueError(f'momentum must be in [0, 1), got {momentum}.')
        self.iou_thr = iou_thr
        self.max_gap = max_gap
        self.motion = motion
        self.momentum = momentum
        self.tracks: List[FaceTrack] = []
        self.frame = -1
        self._next_id = 0

    def predict(self,
                track: FaceTrack,
                frame: Optional[int] = None) -> np.ndarray:
        """The box of ``track`` at ``frame`` (default: the current one)."""
        frame = self.frame if frame is None else frame
        if not self.motion:
            return track.box.copy()
        return track.box + track.velocity * (frame - track.frame)

    def skip(self) -> List[FaceTrack]:
        """Move to the next frame, which the detector did not run on.

        Returns:
            list[FaceTrack]: The live tracks (their box at this frame is
            :meth:`predict`'s).
        """
        self.frame += 1
        return list(self.tracks)

    def update(self, boxes: np.ndarray) -> List[FaceTrack]:
        """Move to the next frame, whose faces the detector found.

        Args:
            boxes (np.ndarray): Detected boxes, shape (K, 4).

        Returns:
            list[FaceTrack]: The track of each box, in the order of
            ``boxes``.
        """
        self.frame += 1
        boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
        predicted = np.array([self.predict(t)
                              for t in self.tracks]).reshape(-1, 4)
        matched = match_by_iou(
            torch.from_numpy(boxes), torch.from_numpy(predicted), self.iou_thr)
        result, continued = [], set()
        for i, box in enumerate(boxes):
            if i in matched:
                track = self.tracks[matched[i]]
                velocity = (box - track.box) / (self.frame - track.frame)
                track.velocity = velocity if track.hits == 1 else (
                    self.momentum * track.velocity +
                    (1 - self.momentum) * velocity)
                track.box, track.frame, track.misses = box, self.frame, 0
                track.hits += 1
                continued.add(id(track))
            else:
                track = FaceTrack(self._next_id, box, self.frame)
                self._next_id += 1
            result.append(track)
        for track in self.tracks:
            if id(track) not in continued:
                track.misses += 1
        self.tracks = [t for t in self.tracks if t.misses <= self.max_gap]
        self.tracks += [t for t in result if id(t) not in continued]
        return result
