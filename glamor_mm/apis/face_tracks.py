"""Link per-frame face detections of a video into the track of one face."""
from typing import List, Optional, Sequence, Tuple

import numpy as np

from .face_tracker import FaceTracker

FrameDetections = Optional[Tuple[np.ndarray, np.ndarray]]


def link_face_tracks(detections: Sequence[FrameDetections],
                     iou_thr: float = 0.3,
                     max_gap: int = 10) -> List[dict]:
    """Link the face detections of consecutive frames into tracks.

    The detections go through :class:`FaceTracker` frame by frame: each
    detection continues the track whose predicted box overlaps it most
    (greedily, highest IoU first, at least ``iou_thr``), provided the
    track missed at most ``max_gap`` detector runs in a row; any other
    detection starts a new track. Frames the detector was not run on
    (None) are no misses: with ``--detect-every N`` a face is followed
    from one detected frame to the next.

    Args:
        detections (Sequence): Per frame, ``(boxes (K, 4), scores (K,))``,
            or None for a frame the detector was not run on.
        iou_thr (float): Smallest IoU to continue a track. Defaults to 0.3.
        max_gap (int): Most detector runs in a row a track may miss.
            Defaults to 10.

    Returns:
        list[dict]: Tracks in order of their first frame, each with
        ``frames`` (list[int]), ``boxes`` (list of 4 floats) and ``scores``
        (list[float]).
    """
    tracker = FaceTracker(iou_thr=iou_thr, max_gap=max_gap)
    tracks: List[dict] = []
    for t, frame in enumerate(detections):
        if frame is None:
            tracker.skip()
            continue
        boxes, scores = frame
        boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
        for box, score, track in zip(boxes.tolist(), scores,
                                     tracker.update(boxes)):
            if not track.data:
                track.data.update(frames=[], boxes=[], scores=[])
                tracks.append(track.data)
            track.data['frames'].append(t)
            track.data['boxes'].append(box)
            track.data['scores'].append(float(score))
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
