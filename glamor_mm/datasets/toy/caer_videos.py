"""Built-in synthetic videos in the CAER layout: face, context and time.

Each clip shows a person (a face over a torso, drifting a few pixels) on
the left or the right of the frame, in front of a static noisy background,
and two context objects on the other side of the face that move vertically
inside the part of the frame that every crop of the clip pipelines keeps
(:func:`crop_safe_region`: the middle quarter of the width, the middle two
thirds of the height), wrapping around from one edge of that region to the
other. Whatever the crop, both objects are in view in every frame. The
label is written by three cues:

- a **face cue** on the face (inside the face box): ``smile`` (red smile) or
  ``frown`` (blue frown), the faces of the toy CAER-S
  (:mod:`glamor_mm.datasets.toy.caers`) with their face cues f2 / f3;
- a **context cue**: the shape of the two objects, ``squares`` (green) or
  ``discs`` (yellow), drawn outside the face box in every frame (they survive
  face masking, horizontal flips and random crops);
- a **motion cue**: the direction the objects move in, ``up`` or ``down``
  (5-7 px a frame). The objects start at a uniformly random height and
  wrap around, so their position in any single frame is uniform whatever the
  direction, and the face drifts either way round: a clip played backwards
  is as likely as the clip itself with the other direction. One frame, or
  the frames of a clip in any order, carry no information about the motion;
  two consecutive frames in their order carry all of it. Horizontal flips
  keep it.

========  =====  =======  ======
class     face   context  motion
========  =====  =======  ======
Anger     frown  squares  up
Disgust   frown  squares  down
Fear      frown  discs    up
Sad       frown  discs    down
Happy     smile  squares  up
Neutral   smile  squares  down
Surprise  smile  discs    up
========  =====  =======  ======

With balanced classes, the best possible accuracy (Bayes, noise-free cues;
:func:`toy_video_best_accuracy`) is:

=====================================================  ==============
inputs                                                 best accuracy
=====================================================  ==============
face + masked context, clip (>= 2 frames)              7/7 = 100 %
face + masked context, one frame, or the frames in     4/7 = 57.1 %
any order (a static model: an average of per-frame
predictions or features)
masked context alone, clip (shape + motion)            4/7 = 57.1 %
face alone (one frame or a clip)                       2/7 = 28.6 %
masked context alone, one frame (shape)                2/7 = 28.6 %
chance                                                 1/7 = 14.3 %
=====================================================  ==============

Videos: MJPG AVI written with OpenCV's built-in encoder (``CAP_OPENCV_MJPEG``:
no FFmpeg, byte-identical output for the same seed), ``DEFAULT_FRAME_SIZE`` =
144 x 256 (H x W, 16:9 like CAER's 400 x 712) frames at ``DEFAULT_FPS`` = 10
fps, 20 to 32 frames each (2 to 3.2 s: one to three 16-frame clips with an
8-frame stride, so test-time clip averaging is exercised), about 5 kB a
frame. Faces are 88-100 px wide, large enough for dlib's HOG detector
(upsample 0) to find them in most frames, so the face-track tool can be run
on them.

Because the videos are at 10 fps the CAER pipeline samples every frame
(``frame_interval`` 1). For a fast CPU run, the small pipeline
(``configs/_base_/datasets/toy_caer_videos_small.py``) uses ``clip_len=8``
(stride 4), 32 x 32 faces and a 48 x 64 context resize with a 40 x 40 crop;
the objects still move about 2 px a frame at that scale.

Each split also gets ``<split>_tracks.json``: the face-track annotation of
:class:`CAERDataset` with the true face box of every frame (all frames
flagged ``d``), the same format ``tools/detect_face_tracks.py`` writes.

Generation is deterministic: clip ``i`` of class ``c`` in split ``s`` is
drawn from ``numpy.random.default_rng([seed, s, c, i])``.

``mode='guided'`` draws the face-guided toy videos instead
(:mod:`glamor_mm.datasets.toy.guided_videos`): the face names one of three
objects, whose flashed mark sets the label.
"""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import mmengine
import numpy as np

from ..categories import CAER_CLASSES
from .drawing import (CONTEXT_COLORS, draw_background, draw_face, draw_shape,
                      random_grey)
from .generation import cue_table_best_accuracy, write_toy_splits
from .guided_videos import DEFAULT_GUIDED_FRAME_SIZE, draw_guided_video

FACE_CUES = ('smile', 'frown')
CONTEXT_CUES = ('squares', 'discs')
MOTION_CUES = ('up', 'down')
# class -> (face cue, context cue, motion cue), in CAER_CLASSES order.
TOY_VIDEO_CUES: Tuple[Tuple[int, int, int], ...] = (
    (1, 0, 0),  # Anger: frown, squares, up
    (1, 0, 1),  # Disgust: frown, squares, down
    (1, 1, 0),  # Fear: frown, discs, up
    (0, 0, 0),  # Happy: smile, squares, up
    (0, 0, 1),  # Neutral: smile, squares, down
    (1, 1, 1),  # Sad: frown, discs, down
    (0, 1, 0),  # Surprise: smile, discs, up
)
# Drawing ids of the toy CAER-S helpers for each cue.
_FACE_DRAW_IDS = (2, 3)  # red smile, blue frown
_CONTEXT_DRAW_IDS = (1, 2)  # green squares, yellow discs

TOY_VIDEO_SPLITS = ('train', 'validation', 'test')
# 50 test videos a class: with 10, a model that guesses the motion scatters
# by several points around the 4/7 bound of single frames
DEFAULT_NUM_PER_CLASS = dict(train=40, validation=4, test=50)
DEFAULT_FRAME_SIZE = (144, 256)  # (H, W), 16:9 like CAER's 400 x 712
DEFAULT_FPS = 10
DEFAULT_NUM_FRAMES = (20, 32)  # inclusive range

_VIEWS = ('face', 'context', 'motion')
# dlib's HOG detector misses faces that touch the frame's edge
_FACE_MARGIN = 8


def toy_video_best_accuracy(views: Sequence[str] = _VIEWS) -> float:
    """Best achievable accuracy on balanced toy videos from some cues.

    Args:
        views (Sequence[str]): Subset of ``('face', 'context', 'motion')``,
            the cues the input shows: a single frame shows no motion, the
            masked context shows no face, etc. Empty means chance.

    Returns:
        float: The Bayes accuracy, e.g. 4/7 for ``('face', 'context')``.
    """
    return cue_table_best_accuracy(TOY_VIDEO_CUES, _VIEWS, views)


def write_video(path: str,
                frames: Sequence[np.ndarray],
                fps: float,
                fourcc: str = 'MJPG') -> None:
    """Write BGR frames as an AVI video.

    MJPG (the default) uses OpenCV's own encoder (``cv2.CAP_OPENCV_MJPEG``),
    not FFmpeg's, so the bytes depend only on the frames. Other codecs (e.g.
    ``'XVID'``, MPEG-4 part 2 like many CAER clips) go through OpenCV's
    FFmpeg, whose output may differ between FFmpeg versions.

    Args:
        path (str): Output ``.avi`` file.
        frames (Sequence[np.ndarray]): ``H x W x 3`` uint8 BGR frames of
            one size.
        fps (float): Frame rate written in the header.
        fourcc (str): Four-character code of the codec. Defaults to 'MJPG'.
    """
    h, w = frames[0].shape[:2]
    api = cv2.CAP_OPENCV_MJPEG if fourcc == 'MJPG' else cv2.CAP_FFMPEG
    writer = cv2.VideoWriter(path, api, cv2.VideoWriter_fourcc(*fourcc), fps,
                             (w, h))
    if not writer.isOpened():
        raise OSError(f'Could not open {path} for writing ({fourcc} AVI).')
    for frame in frames:
        writer.write(frame)
    writer.release()


def crop_safe_region(frame_size: Tuple[int, int]) -> Tuple[int, int, int, int]:
    """The part of a frame that every crop of the clip pipelines keeps.

    The CAER pipeline resizes the context to 128 x 171 (H x W) and crops
    112 x 112; the small one resizes to 48 x 64 and crops 40 x 40. Whatever
    the crop offset, the small pipeline keeps the middle quarter of the
    width (``3/8 W`` to ``5/8 W``) and the middle two thirds of the height
    (``H/6`` to ``5H/6``), and the CAER pipeline a bit more.

    Args:
        frame_size (tuple[int, int]): ``(H, W)`` of the frames.

    Returns:
        tuple[int, int, int, int]: ``x1, y1, x2, y2`` (``x2, y2``
        exclusive) in frame pixels.
    """
    h, w = frame_size
    return (-(-3 * w // 8), -(-h // 6), 5 * w // 8, 5 * h // 6)


def _face_and_columns(frame_size: Tuple[int, int], fw: int, amp: int, r: int,
                      rng: np.random.Generator) -> Tuple[int, List[int]]:
    """Left edge of a face ``fw`` px wide, on the left or the right of the
    frame, and the x centres of two objects of radius ``r`` in the
    crop-safe region on the other side, clear of the face and its drift."""
    w = frame_size[1]
    x1, _, x2, _ = crop_safe_region(frame_size)
    gap = 3
    min_fx = amp + _FACE_MARGIN
    # the face's right edge (with its drift) leaves 9 columns free
    max_fx = x2 - r - 8 - gap - r - amp - fw
    if max_fx < min_fx:
        raise ValueError(
            f'frame_size {frame_size} is too narrow for a {fw} px face '
            'beside two context objects in the part of the frame that '
            f'every crop keeps (x {x1} to {x2}); use wider frames.')
    fx = int(rng.integers(min_fx, max_fx + 1))
    candidates = np.arange(max(x1 + r, fx + fw + amp + gap + r), x2 - r)
    columns = [int(c) for c in rng.choice(candidates, 2)]
    if rng.random() < 0.5:  # mirror: the person on the right
        fx = w - fw - fx
        columns = [w - 1 - c for c in columns]
    return fx, columns


def draw_toy_video(
    label: int,
    rng: np.random.Generator,
    num_frames: int = DEFAULT_NUM_FRAMES[0],
    frame_size: Tuple[int, int] = DEFAULT_FRAME_SIZE
) -> Tuple[List[np.ndarray], np.ndarray]:
    """Draw the frames of one synthetic clip of class ``label``.

    Args:
        label (int): Index into ``CAER_CLASSES``.
        rng (np.random.Generator): Source of randomness.
        num_frames (int): Number of frames. Defaults to 20.
        frame_size (tuple[int, int]): ``(H, W)``; ``H`` at least 144 and
            ``W`` wide enough for a 100 px face beside the crop-safe region
            (faces must be ~90 px for dlib to find them). Defaults to
            ``(144, 256)``.

    Returns:
        tuple: The ``H x W x 3`` uint8 BGR frames and the face boxes, an
        int array of shape ``(num_frames, 4)`` of ``x1, y1, x2, y2``
        (``x2, y2`` exclusive).
    """
    h, w = frame_size
    if h < 144:
        raise ValueError('frame_size (H, W) must have H >= 144, '
                         f'got {frame_size}.')
    face_cue, context_cue, motion = TOY_VIDEO_CUES[label]
    # static background, smooth noise and discs only
    background = draw_background(
        rng, (h, w), grey_radius=(6, 16), noise='smooth', rectangles=False)
    # the face drifts on a small circle around its base position, either
    # way round: played backwards, a clip is then as likely as a clip of
    # the class with the other direction of motion
    amp = 3
    r = round(0.075 * h)
    fw = int(rng.integers(88, 101))
    fh = round(fw * 1.15)
    fx, columns = _face_and_columns(frame_size, fw, amp, r, rng)
    fy = int(rng.integers(amp + _FACE_MARGIN, h - fh - amp - _FACE_MARGIN))
    period = rng.uniform(12, 24) * rng.choice((-1, 1))
    phase = rng.uniform(0, 2 * np.pi)
    t = np.arange(num_frames)
    dx = np.round(amp * np.cos(2 * np.pi * t / period + phase)).astype(int)
    dy = np.round(amp * np.sin(2 * np.pi * t / period + phase)).astype(int)
    boxes = np.stack([fx + dx, fy + dy, fx + fw + dx, fy + fh + dy], axis=1)
    face_seed = int(rng.integers(1 << 31))
    torso = random_grey(rng, 50, 200, 15)
    # two objects, half a band apart, moving up or down through the rows
    # of the crop-safe region and wrapping around inside it
    _, band_y1, _, band_y2 = crop_safe_region(frame_size)
    span = band_y2 - band_y1
    start = rng.uniform(0, span)
    starts = (start, start + span / 2)
    step = int(rng.integers(5, 8)) * (1 if motion == 1 else -1)
    shape = _CONTEXT_DRAW_IDS[context_cue]
    frames = []
    for i, (x1, y1, x2, y2) in enumerate(boxes):
        frame = background.copy()
        cv2.rectangle(frame, (int(x1 - fw // 3), int(y2)),
                      (int(x2 + fw // 3), h), torso, -1)
        draw_face(frame, (int(x1), int(y1), int(x2), int(y2)),
                  _FACE_DRAW_IDS[face_cue], np.random.default_rng(face_seed))
        band = frame[band_y1:band_y2].copy()
        for x, y0 in zip(columns, starts):
            y = int((y0 + step * i) % span)
            for wrapped in (y - span, y, y + span):
                draw_shape(band, (x, wrapped), r, shape, CONTEXT_COLORS[shape])
        frame[band_y1:band_y2] = band
        frames.append(frame)
    return frames, boxes


TOY_VIDEO_DRAWERS = dict(cues=draw_toy_video, guided=draw_guided_video)
TOY_VIDEO_MODES = tuple(TOY_VIDEO_DRAWERS)
# Frame size of each mode
DEFAULT_MODE_FRAME_SIZE = dict(
    cues=DEFAULT_FRAME_SIZE, guided=DEFAULT_GUIDED_FRAME_SIZE)


def generate_toy_caer_videos(out_dir: str,
                             num_per_class: Optional[Dict[str, int]] = None,
                             seed: int = 0,
                             frame_size: Optional[Tuple[int, int]] = None,
                             num_frames: Tuple[int, int] = DEFAULT_NUM_FRAMES,
                             fps: float = DEFAULT_FPS,
                             fourcc: str = 'MJPG',
                             mode: str = 'cues') -> Dict[str, int]:
    """Write the toy videos in the CAER layout with their face tracks.

    Layout::

        out_dir/train/<Class>/0000.avi ...   (same for validation/, test/)
        out_dir/train_tracks.json            face track of every video

    Args:
        out_dir (str): Output folder (created if needed).
        num_per_class (dict[str, int], optional): Videos per class of each
            split; splits left out are not written. Defaults to
            ``DEFAULT_NUM_PER_CLASS`` (train 40, validation 4, test 50).
        seed (int): Seed of the whole dataset. Defaults to 0.
        frame_size (tuple[int, int], optional): ``(H, W)`` of the frames.
            Defaults to the mode's ``DEFAULT_MODE_FRAME_SIZE``: ``(144,
            256)`` for ``'cues'``, ``(80, 128)`` for ``'guided'``.
        num_frames (tuple[int, int]): Inclusive range of the number of
            frames of a video. Defaults to ``(20, 32)``.
        fps (float): Frame rate. Defaults to 10.
        fourcc (str): Codec, see :func:`write_video`. Defaults to 'MJPG'
            (byte-identical files for the same seed).
        mode (str): ``'cues'`` (:func:`draw_toy_video`: face, context and
            motion cues) or ``'guided'``
            (:func:`~glamor_mm.datasets.toy.guided_videos.draw_guided_video`:
            the face names the object whose marks set the label). Defaults
            to ``'cues'``.

    Returns:
        dict[str, int]: Number of videos written per split.
    """
    if mode not in TOY_VIDEO_MODES:
        raise ValueError(f'Unknown mode {mode!r}; choose from '
                         f'{TOY_VIDEO_MODES}.')
    draw = TOY_VIDEO_DRAWERS[mode]
    frame_size = tuple(frame_size or DEFAULT_MODE_FRAME_SIZE[mode])
    if not 1 <= num_frames[0] <= num_frames[1]:
        raise ValueError(f'num_frames must be a range (min, max) with '
                         f'1 <= min <= max, got {num_frames}.')

    def write_sample(label: int, stem: str, rng: np.random.Generator) -> dict:
        length = int(rng.integers(num_frames[0], num_frames[1] + 1))
        frames, boxes = draw(label, rng, length, frame_size)
        rel_path = f'{stem}.avi'
        path = osp.join(out_dir, rel_path)
        write_video(path, frames, fps, fourcc)
        return dict(
            video_path=rel_path,
            gt_label=label,
            num_frames=length,
            fps=float(fps),
            height=frame_size[0],
            width=frame_size[1],
            file_size=osp.getsize(path),
            face_track=boxes.tolist(),
            face_track_flags='d' * length)

    def write_index(split: str, data_list: List[dict]) -> None:
        metainfo = dict(
            classes=list(CAER_CLASSES),
            face_tracks=dict(
                source='generate_toy_caer_videos', seed=seed, mode=mode))
        mmengine.dump(
            dict(metainfo=metainfo, data_list=data_list),
            osp.join(out_dir, f'{split}_tracks.json'))

    return write_toy_splits(out_dir, TOY_VIDEO_SPLITS, num_per_class,
                            DEFAULT_NUM_PER_CLASS, seed, write_sample,
                            write_index)
