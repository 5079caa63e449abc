"""Follow faces over video frames and smooth their emotion scores."""
from typing import List, Sequence

import numpy as np
from mmpretrain.structures import DataSample

from .face_tracker import FaceTracker


class FaceScoreTracker:
    """Smooth per-face emotion scores over frames, following faces.

    The faces of each frame are followed by :class:`FaceTracker` (box
    overlap with a motion model; its gap rule); a followed face's scores
    become the exponential moving average ``alpha * track + (1 - alpha) *
    new``, a new face starts with its own scores.

    Args:
        alpha (float): Weight of the past in the moving average, in [0, 1).
            Defaults to 0.7.
        iou_thr (float): Minimal IoU to continue a track. Defaults to 0.3.
        max_gap (int): Frames in a row a track may miss (see
            :class:`FaceTracker`). Defaults to 5.
        tracker (FaceTracker, optional): Follow the faces with this tracker
            (``iou_thr`` and ``max_gap`` are then its own). Defaults to
            None (a new one).
    """

    def __init__(self,
                 alpha: float = 0.7,
                 iou_thr: float = 0.3,
                 max_gap: int = 5,
                 tracker: FaceTracker = None) -> None:
        if not 0 <= alpha < 1:
            raise ValueError(f'alpha must be in [0, 1), got {alpha}.')
        self.alpha = alpha
        self.tracker = tracker or FaceTracker(iou_thr=iou_thr, max_gap=max_gap)

    @property
    def tracks(self) -> list:
        """The live tracks (:class:`FaceTrack`)."""
        return self.tracker.tracks

    def update(self, faces: Sequence[DataSample]) -> List[DataSample]:
        """Smooth the faces of one frame (in place) and update the tracks.

        Args:
            faces (Sequence[DataSample]): Faces of the frame with
                ``pred_score`` and metainfo ``face_bbox``.

        Returns:
            list[DataSample]: The same faces with smoothed ``pred_score`` and
            ``pred_label`` and metainfo ``track_id``.
        """
        boxes = np.array([list(f.metainfo['face_bbox']) for f in faces],
                         np.float64).reshape(-1, 4)
        return self.smooth(faces, self.tracker.update(boxes))

    def smooth(self, faces: Sequence[DataSample],
               tracks: Sequence) -> List[DataSample]:
        """Smooth the scores of faces already matched to their tracks.

        Args:
            faces (Sequence[DataSample]): Faces with ``pred_score``.
            tracks (Sequence[FaceTrack]): The track of each face.

        Returns:
            list[DataSample]: The faces, smoothed in place, with metainfo
            ``track_id``.
        """
        for face, track in zip(faces, tracks):
            score = face.pred_score.detach().cpu().float()
            if 'score' in track.data:
                score = self.alpha * track.data['score'] + (1 -
                                                            self.alpha) * score
            track.data['score'] = score
            face.set_pred_score(score.clone())
            face.set_pred_label(int(score.argmax()))
            face.set_metainfo(dict(track_id=track.id))
        return list(faces)
