"""Follow faces over video frames and smooth their emotion scores."""
from typing import List, Sequence

import torch
from mmpretrain.structures import DataSample

from .face_tracks import match_by_iou


class FaceScoreTracker:
    """Smooth per-face emotion scores over frames, following faces by IoU.

    Each frame's faces are matched greedily (highest box IoU first) to the
    tracks of the previous frames; a matched face's scores become the
    exponential moving average ``alpha * track + (1 - alpha) * new``, an
    unmatched face starts a new track, and a track unseen for more than
    ``max_age`` frames is dropped.

    Args:
        alpha (float): Weight of the past in the moving average, in [0, 1).
            Defaults to 0.7.
        iou_thr (float): Minimal IoU to continue a track. Defaults to 0.3.
        max_age (int): Frames a track survives without a match.
            Defaults to 5.
    """

    def __init__(self,
                 alpha: float = 0.7,
                 iou_thr: float = 0.3,
                 max_age: int = 5) -> None:
        if not 0 <= alpha < 1:
            raise ValueError(f'alpha must be in [0, 1), got {alpha}.')
        self.alpha = alpha
        self.iou_thr = iou_thr
        self.max_age = max_age
        self.tracks: List[dict] = []
        self._next_id = 0

    def update(self, faces: Sequence[DataSample]) -> List[DataSample]:
        """Smooth the faces of one frame (in place) and update the tracks.

        Args:
            faces (Sequence[DataSample]): Faces of the frame with
                ``pred_score`` and metainfo ``face_bbox``.

        Returns:
            list[DataSample]: The same faces with smoothed ``pred_score`` and
            ``pred_label`` and metainfo ``track_id``.
        """
        for track in self.tracks:
            track['age'] += 1
        boxes = torch.tensor([list(f.metainfo['face_bbox']) for f in faces],
                             dtype=torch.float32).reshape(-1, 4)
        previous = torch.stack([t['box'] for t in self.tracks]) \
            if self.tracks else torch.zeros(0, 4)
        matched = {
            i: self.tracks[j]
            for i, j in match_by_iou(boxes, previous, self.iou_thr).items()
        }
        for i, face in enumerate(faces):
            score = face.pred_score.detach().cpu().float()
            track = matched.get(i)
            if track is None:
                track = dict(id=self._next_id, score=score)
                self._next_id += 1
                self.tracks.append(track)
            else:
                track['score'] = self.alpha * track['score'] + (
                    1 - self.alpha) * score
            track.update(box=boxes[i], age=0)
            face.set_pred_score(track['score'].clone())
            face.set_pred_label(int(track['score'].argmax()))
            face.set_metainfo(dict(track_id=track['id']))
        self.tracks = [t for t in self.tracks if t['age'] <= self.max_age]
        return list(faces)
