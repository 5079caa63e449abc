"""Face-guided toy videos: the face names the object whose marks matter.

The ``'guided'`` mode of :func:`~glamor_mm.datasets.toy.caer_videos.
generate_toy_caer_videos`, the clip counterpart of the guided toy scenes
(:func:`~glamor_mm.datasets.toy.caers.draw_guided_scene`). Each clip shows a
person on the left or the right of an 80 x 128 frame with a plain grey
background and, on the other side, three coloured squares, one in each of the
``GUIDED_VIDEO_COLORS`` (green, yellow, cyan), each in its own cell of a
16-pixel grid (a 5 x 8 grid; no two objects in neighbouring cells).
Nothing moves. Every object flashes a *mark* in its centre, one of
``GUIDED_MARKS`` (black, white, blue, purple), in ``MARK_FRAMES`` = 2
consecutive frames of every ``MARK_PERIOD`` = 4 (at its own random phase)
and shows its plain colour in the other frames, so any 4 consecutive frames
show each object's mark twice. The face carries a face cue (``smile`` or
``frown``, the mouths of the toy videos) and a hat in the colour of one
object, the *named* object. The label is set by the face cue and the mark of
the named object:

========  =====  =====================
class     face   mark of named object
========  =====  =====================
Anger     frown  black
Disgust   frown  white
Fear      frown  blue
Happy     smile  black
Neutral   smile  white
Sad       frown  purple
Surprise  smile  blue
========  =====  =====================

The two other objects flash random marks (each of the four equally likely,
the label's mark included), and the named object is drawn at random: the hat
colour alone says nothing about the label. With balanced classes the best
possible accuracy (Bayes, noise-free cues; :func:`guided_video_best_accuracy`,
exact by enumeration) is:

==========================================================  =============
inputs                                                      best accuracy
==========================================================  =============
face + masked context, clip of >= 4 frames (face-guided     100 %
attention: the hat names the object to read)
face + masked context, a single frame (it shows the named   64.3 %
object's mark half of the time)
face + the marks the clip shows, without knowing which      60.7 %
object flashed which (a context vector that pools the
objects alike: average pooling, or an attention that
cannot see the hat)
masked context alone, clip                                  32.1 %
face alone                                                  28.6 %
chance                                                      14.3 %
==========================================================  =============

The frames are drawn on the 16-pixel grid so that a context map of 5 x 8
cells (e.g. the frame shrunk to 20 x 32 and encoded with a stride of 4, as
in the guided video configs) has each object in one map cell: the attention on the named object, and on it in the frames where
it flashes, is then read from the map cells
(``tools/analysis_tools/attention_on_named_object.py``).
"""
import itertools
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from .caers import GUIDED_COLORS, GUIDED_MARKS, guided_object_masks
from .drawing import draw_face, random_grey

# class -> (face cue: 0 smile, 1 frown; mark of the named object: 0 black,
# 1 white, 2 blue, 3 purple), in CAER_CLASSES order.
GUIDED_VIDEO_CUES: Tuple[Tuple[int, int], ...] = (
    (1, 0),  # Anger: frown, black
    (1, 1),  # Disgust: frown, white
    (1, 2),  # Fear: frown, blue
    (0, 0),  # Happy: smile, black
    (0, 1),  # Neutral: smile, white
    (1, 3),  # Sad: frown, purple
    (0, 2),  # Surprise: smile, blue
)
NUM_OBJECTS = 3
# The objects' colours, three of ``GUIDED_COLORS``: green, yellow and cyan
# differ by at least 230 levels in one channel; orange, which differs from
# yellow by 110, is left out (models told yellow and orange apart last).
GUIDED_VIDEO_COLORS: Tuple[Tuple[int, int, int], ...] = tuple(
    GUIDED_COLORS[i] for i in (0, 1, 3))
MARK_PERIOD = 4
MARK_FRAMES = 2
GRID = 16  # pixels per grid cell
DEFAULT_GUIDED_FRAME_SIZE = (80, 128)  # (H, W): a 5 x 8 grid
GUIDED_VIDEO_VIEWS = ('face', 'context', 'marks')
# drawing ids of the face cues: red smile, blue frown
_FACE_DRAW_IDS = (2, 3)
_PERSON_COLUMNS = 3  # grid columns of the person's side
_OBJECT_RADIUS = 7  # a 15 x 15 square in its 16 x 16 cell
_MARK_RADIUS = 5  # an 11 x 11 mark in its centre


def guided_video_best_accuracy(views: Sequence[str] = ('face', 'context'),
                               single_frame: bool = False) -> float:
    """Best achievable accuracy on balanced ``'guided'`` toy videos.

    Exact, by enumerating every class, named object, mark of the other
    objects and (for one frame) which objects flash in it, weighted by their
    probabilities, and guessing the most likely class of each observation.

    Args:
        views (Sequence[str]): Subset of ``GUIDED_VIDEO_VIEWS``: ``'face'``
            (the hat colour), ``'context'`` (the mark of each
            coloured object) and ``'marks'`` (the marks shown, without
            their objects' colours, i.e. without knowing which object the
            face names); empty means chance.
        single_frame (bool): The input is one frame, which shows an object's
            mark with probability ``MARK_FRAMES / MARK_PERIOD``; otherwise a
            clip of at least ``MARK_PERIOD`` frames, which shows every mark.
            Defaults to False.

    Returns:
        float: The Bayes accuracy, e.g. 1.0 for a clip with
        ``('face', 'context')``.
    """
    unknown = set(views) - set(GUIDED_VIDEO_VIEWS)
    if unknown:
        raise ValueError(f'Unknown view(s) {sorted(unknown)}; choose from '
                         f'{GUIDED_VIDEO_VIEWS}.')
    num_marks = len(GUIDED_MARKS)
    p_shown = MARK_FRAMES / MARK_PERIOD if single_frame else 1.0
    shown_options = [(s, p_shown if s else 1 - p_shown) for s in (1, 0)
                     if (p_shown if s else 1 - p_shown) > 0]
    joint: Dict[tuple, np.ndarray] = {}
    for (label, (face_cue, mark)), target, others in itertools.product(
            enumerate(GUIDED_VIDEO_CUES), range(NUM_OBJECTS),
            itertools.product(range(num_marks), repeat=NUM_OBJECTS - 1)):
        marks = others[:target] + (mark, ) + others[target:]
        for shown in itertools.product(shown_options, repeat=NUM_OBJECTS):
            weight = float(np.prod([p for _, p in shown]))
            seen_marks = tuple(m if s else None
                               for m, (s, _) in zip(marks, shown))
            seen = dict(
                face=(face_cue, target),
                context=seen_marks,
                marks=tuple(sorted(m for m in seen_marks if m is not None)))
            key = tuple(seen[v] for v in GUIDED_VIDEO_VIEWS if v in views)
            joint.setdefault(key,
                             np.zeros(len(GUIDED_VIDEO_CUES)))[label] += weight
    total = len(GUIDED_VIDEO_CUES) * NUM_OBJECTS * num_marks**(NUM_OBJECTS - 1)
    return float(sum(counts.max() for counts in joint.values()) / total)


def mark_shown(phase: int, frame_idx: int) -> bool:
    """Whether an object of flash phase ``phase`` shows its mark in frame
    ``frame_idx``."""
    return (frame_idx + phase) % MARK_PERIOD < MARK_FRAMES


def _object_cells(rng: np.random.Generator, rows: int,
                  columns: Sequence[int]) -> List[Tuple[int, int]]:
    """``NUM_OBJECTS`` grid cells ``(row, column)`` among ``columns``, no
    two of them the same or neighbours (8-connectivity)."""
    cells = [(r, c) for r in range(rows) for c in columns]
    for _ in range(1000):
        picks = [cells[i] for i in rng.choice(len(cells), NUM_OBJECTS, False)]
        if all(
                max(abs(a[0] - b[0]), abs(a[1] - b[1])) >= 2
                for a, b in itertools.combinations(picks, 2)):
            return picks
    raise RuntimeError('No room for the guided objects; enlarge frame_size.')


def draw_guided_video(
    label: int,
    rng: np.random.Generator,
    num_frames: int = 20,
    frame_size: Tuple[int, int] = DEFAULT_GUIDED_FRAME_SIZE
) -> Tuple[List[np.ndarray], np.ndarray]:
    """Draw the frames of one ``'guided'`` clip of class ``label``.

    Args:
        label (int): Index into ``CAER_CLASSES``.
        rng (np.random.Generator): Source of randomness.
        num_frames (int): Number of frames. Defaults to 20.
        frame_size (tuple[int, int]): ``(H, W)``, multiples of 16, at
            least ``(80, 128)``. Defaults to ``(80, 128)``.

    Returns:
        tuple: The ``H x W x 3`` uint8 BGR frames and the face boxes, an
        int array of shape ``(num_frames, 4)`` of ``x1, y1, x2, y2``
        (``x2, y2`` exclusive; the face does not move).
    """
    h, w = frame_size
    if h < 80 or w < 128 or h % GRID or w % GRID:
        raise ValueError('frame_size (H, W) of guided videos must be '
                         f'multiples of {GRID} of at least (80, 128), got '
                         f'{tuple(frame_size)}.')
    face_cue, mark = GUIDED_VIDEO_CUES[label]
    # a plain grey background: what the encoders must learn is the objects
    background = np.empty((h, w, 3), np.uint8)
    background[:] = random_grey(rng, 70, 170, 10)
    target = int(rng.integers(NUM_OBJECTS))
    marks = rng.integers(len(GUIDED_MARKS), size=NUM_OBJECTS)
    marks[target] = mark
    phases = rng.integers(MARK_PERIOD, size=NUM_OBJECTS)
    # the person in the first grid columns, mirrored to the right at random
    band = _PERSON_COLUMNS * GRID
    fw = int(rng.integers(34, 41))
    fh = round(fw * 1.15)
    fx = int(rng.integers(2, band - fw - 1))
    fy = int(rng.integers(2, h - fh - 12))
    columns = range(_PERSON_COLUMNS, w // GRID)
    cells = _object_cells(rng, h // GRID, columns)
    mirrored = bool(rng.random() < 0.5)
    if mirrored:
        fx = w - fw - fx
        cells = [(r, w // GRID - 1 - c) for r, c in cells]
    face_box = (fx, fy, fx + fw, fy + fh)
    torso = random_grey(rng, 50, 200, 15)
    band_x = (w - band, w - 1) if mirrored else (0, band - 1)
    cv2.rectangle(background, (max(band_x[0], fx - fw // 6), fy + fh),
                  (min(band_x[1], fx + fw + fw // 6), h), torso, -1)
    draw_face(background, face_box, _FACE_DRAW_IDS[face_cue], rng)
    hat_w, hat_h = round(0.35 * fw), round(0.25 * fh)
    cx = fx + fw // 2
    cv2.rectangle(background, (cx - hat_w, fy), (cx + hat_w, fy + hat_h),
                  GUIDED_VIDEO_COLORS[target], -1)
    centres = [(c * GRID + GRID // 2, r * GRID + GRID // 2) for r, c in cells]
    for (x, y), color in zip(centres, GUIDED_VIDEO_COLORS):
        cv2.rectangle(background, (x - _OBJECT_RADIUS, y - _OBJECT_RADIUS),
                      (x + _OBJECT_RADIUS, y + _OBJECT_RADIUS), color, -1)
    frames = []
    for t in range(num_frames):
        frame = background.copy()
        for (x, y), m, phase in zip(centres, marks, phases):
            if mark_shown(int(phase), t):
                cv2.rectangle(frame, (x - _MARK_RADIUS, y - _MARK_RADIUS),
                              (x + _MARK_RADIUS, y + _MARK_RADIUS),
                              GUIDED_MARKS[m], -1)
        frames.append(frame)
    return frames, np.tile(np.array(face_box), (num_frames, 1))


def guided_video_frame_cues(
        frame: np.ndarray,
        face_bbox: Sequence[float],
        tolerance: int = 40) -> Tuple[np.ndarray, Optional[int], np.ndarray]:
    """Read the objects, the named one and the flashing ones from a frame.

    The inverse of :func:`draw_guided_video` for analyses that need to know
    where the objects are and when they flash. The objects and the named one
    are found as in :func:`~glamor_mm.datasets.toy.caers.
    guided_object_masks`; an object flashes when the centre of its square is
    not its colour.

    Args:
        frame (np.ndarray): An ``H x W x 3`` uint8 BGR frame as decoded.
        face_bbox (Sequence[float]): Face box ``(x1, y1, x2, y2)``.
        tolerance (int): Largest per-channel difference between the centre
            of a plain object and its colour (MJPG blurs colours). Defaults
            to 40.

    Returns:
        tuple: The object masks, bool array (K, H, W) in the order of
        ``GUIDED_COLORS`` (empty for a colour not in the frame), the index of
        the named object (None if the face has no hat colour) and, per
        object, whether it shows its mark (bool array (K, )).
    """
    masks, target = guided_object_masks(frame, face_bbox)
    shown = np.zeros(len(masks), bool)
    for k, mask in enumerate(masks):
        ys, xs = np.nonzero(mask)
        if len(ys):
            centre = frame[(ys.min() + ys.max()) // 2,
                           (xs.min() + xs.max()) // 2].astype(int)
            shown[k] = np.abs(centre - GUIDED_COLORS[k]).max() > tolerance
    return masks, target, shown
