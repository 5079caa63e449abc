"""Link per-frame face detections of a video into the track of one face."""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmdet.structures.bbox import bbox_overlaps

FrameDetections = Optional[Tuple[np.ndarray, np.ndarray]]


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


def link_face_tracks(detections: Sequence[FrameDetections],
                     iou_thr: float = 0.3,
                     max_gap: int = 10) -> List[dict]:
    """Link the face detections of consecutive frames into tracks.

    Frame by frame, each detection continues the track whose last box
    overlaps it most (greedily, highest IoU first, at least ``iou_thr``),
    provided the track missed at most ``max_gap`` frames since; any other
    detection starts a new track.

    Args:
        detections (Sequence): Per frame, ``(boxes (K, 4), scores (K,))``,
            or None for a frame the detector was not run on.
        iou_thr (float): Smallest IoU to continue a track. Defaults to 0.3.
        max_gap (int): Most frames in a row a track may miss.
            Defaults to 10.

    Returns:
        list[dict]: Tracks in order of their first frame, each with
        ``frames`` (list[int]), ``boxes`` (list of 4 floats) and ``scores``
        (list[float]).
    """
    tracks: List[dict] = []
    for t, frame in enumerate(detections):
        if frame is None:
            continue
        boxes, scores = frame
        boxes = torch.as_tensor(np.asarray(boxes, np.float32).reshape(-1, 4))
        alive = [tr for tr in tracks if t - tr['frames'][-1] - 1 <= max_gap]
        previous = torch.tensor([tr['boxes'][-1]
                                 for tr in alive]).reshape(-1, 4)
        matched = match_by_iou(boxes, previous, iou_thr)
        for i, box in enumerate(boxes.tolist()):
            if i in matched:
                track = alive[matched[i]]
            else:
                track = dict(frames=[], boxes=[], scores=[])
                tracks.append(track)
            track['frames'].append(t)
            track['boxes'].append(box)
            track['scores'].append(float(scores[i]))
    return tracks


def select_main_track(tracks: Sequence[dict],
                      select: str = 'length') -> Optional[dict]:
    """The track of the main face of a video.

    Args:
        tracks (Sequence[dict]): Tracks from :func:`link_face_tracks`.
        select (str): ``'length'``: the track with the most detections,
            ties broken by the summed score; ``'score'``: the highest summed
            detection score. Defaults to 'length'.

    Returns:
        dict | None: The track, or None when there is none.
    """
    if select not in ('length', 'score'):
        raise ValueError(
            f"select must be 'length' or 'score', got {select!r}.")
    if not tracks:
        return None
    if select == 'length':
        return max(
            tracks, key=lambda tr: (len(tr['frames']), sum(tr['scores'])))
    return max(tracks, key=lambda tr: sum(tr['scores']))


def fill_face_track(track: dict, num_frames: int) -> Tuple[np.ndarray, str]:
    """A box for every frame of the video from a track's detections.

    Frames between two detections get the linear interpolation of their
    boxes (flag ``i``), frames before the first or after the last
    detection get the nearest detected box (flag ``e``, extended), detected
    frames keep their box (flag ``d``).

    Args:
        track (dict): A track with ``frames`` (increasing) and ``boxes``.
        num_frames (int): Number of frames of the video.

    Returns:
        tuple: Boxes, float array of shape ``(num_frames, 4)``, and the
        flags, a string of ``num_frames`` characters among ``d``, ``i``,
        ``e``.
    """
    frames = np.asarray(track['frames'])
    boxes = np.asarray(track['boxes'], dtype=np.float64).reshape(-1, 4)
    t = np.arange(num_frames)
    filled = np.stack([np.interp(t, frames, boxes[:, k]) for k in range(4)],
                      axis=1)
    flags = np.where((t < frames[0]) | (t > frames[-1]), 'e', 'i')
    flags[frames] = 'd'
    return filled, ''.join(flags)
