"""Drawing helpers shared by the toy scenes and the toy videos: faces with
their facial cues, saturated context shapes and dull noisy backgrounds.

Colours are BGR; every function draws with OpenCV from a
``numpy.random.Generator``, so the same generator state gives the same
pixels.
"""
from typing import Tuple

import cv2
import numpy as np

# Mouth colour of each face cue (f0-f3) and colour of each context shape
# (c0-c3).
MOUTH_COLORS = ((140, 0, 140), (20, 20, 20), (0, 0, 210), (210, 40, 0))
CONTEXT_COLORS = ((0, 0, 230), (0, 190, 0), (0, 220, 240), (230, 60, 0))


def draw_face(img: np.ndarray, box: Tuple[int, int, int, int], cue: int,
              rng: np.random.Generator) -> None:
    """Draw a face with facial cue ``cue`` filling ``box`` (in place)."""
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    cx, cy = (x1 + x2 - 1) / 2, (y1 + y2 - 1) / 2
    skin = tuple(
        int(v) for v in rng.integers((120, 150, 190), (170, 200, 245)))
    cv2.ellipse(img, (round(cx), round(cy)), (w // 2, h // 2), 0, 0, 360, skin,
                -1, cv2.LINE_AA)
    t = max(2, round(w / 12))
    eye_y, eye_dx = round(y1 + 0.4 * h), round(0.2 * w)
    for side in (-1, 1):
        ex = round(cx + side * eye_dx)
        cv2.circle(img, (ex, eye_y), max(2, round(w / 14)), (30, 30, 30), -1,
                   cv2.LINE_AA)
        # brows: slanted down towards the nose for f0, raised for f1
        inner, outer = (ex - side * round(0.1 * w), ex + side * round(0.1 * w))
        by = eye_y - round(0.14 * h)
        drop = {
            0: (round(0.08 * h), -round(0.04 * h)),
            1: (-round(0.06 * h), -round(0.06 * h))
        }.get(cue, (0, 0))
        cv2.line(img, (inner, by + drop[0]), (outer, by + drop[1]),
                 (40, 40, 60), t, cv2.LINE_AA)
    mouth_c = (round(cx), round(y1 + 0.72 * h))
    mw, mh = round(0.22 * w), round(0.1 * h)
    color = MOUTH_COLORS[cue]
    if cue == 0:
        cv2.line(img, (mouth_c[0] - mw, mouth_c[1]),
                 (mouth_c[0] + mw, mouth_c[1]), color, t + 1, cv2.LINE_AA)
    elif cue == 1:
        cv2.ellipse(img, mouth_c, (round(0.7 * mw), round(1.4 * mh)), 0, 0,
                    360, color, -1, cv2.LINE_AA)
    else:  # 2: smile (lower half of an ellipse), 3: frown (upper half)
        start = 0 if cue == 2 else 180
        centre = (mouth_c[0], mouth_c[1] - (mh // 2 if cue == 2 else -mh))
        cv2.ellipse(img, centre, (mw, mh), 0, start, start + 180, color, t + 1,
                    cv2.LINE_AA)


def draw_shape(img: np.ndarray, centre: Tuple[int, int], r: int, shape: int,
               color: Tuple[int, int, int]) -> None:
    """Draw shape ``shape`` (0 triangle, 1 square, 2 disc, 3 diamond) of
    radius ``r`` at ``centre`` (in place)."""
    x, y = centre
    if shape == 0:
        pts = np.array([(x, y - r), (x - r, y + r), (x + r, y + r)], np.int32)
        cv2.fillPoly(img, [pts], color, cv2.LINE_AA)
    elif shape == 1:
        cv2.rectangle(img, (x - r, y - r), (x + r, y + r), color, -1)
    elif shape == 2:
        cv2.circle(img, (x, y), r, color, -1, cv2.LINE_AA)
    else:
        pts = np.array([(x, y - r), (x - r, y), (x, y + r), (x + r, y)],
                       np.int32)
        cv2.fillPoly(img, [pts], color, cv2.LINE_AA)


def random_grey(rng: np.random.Generator, low: int, high: int,
                tint: int) -> Tuple[int, int, int]:
    """A BGR grey of level ``[low, high)``, each channel shifted by at most
    ``tint``."""
    return tuple(
        int(g)
        for g in rng.integers(low, high) + rng.integers(-tint, tint + 1, 3))


def draw_background(rng: np.random.Generator,
                    img_size: Tuple[int, int],
                    grey_radius: Tuple[int, int],
                    noise: str = 'pixel',
                    rectangles: bool = True) -> np.ndarray:
    """A dull noisy background with 2-4 grey distractors (H x W x 3 uint8).

    Args:
        rng (np.random.Generator): Source of randomness.
        img_size (tuple[int, int]): ``(H, W)``.
        grey_radius (tuple[int, int]): Range of the distractors' radius.
        noise (str): ``'pixel'``: noise of std 5 on every pixel;
            ``'smooth'``: noise of std 8 on a grid of 8 x 8 pixel cells,
            interpolated (texture that MJPG compresses well). Defaults to
            ``'pixel'``.
        rectangles (bool): Distractors are discs or rectangles at random;
            False: discs only. Defaults to True.
    """
    h, w = img_size
    base = rng.integers(70, 170, 3).astype(np.float32)
    base = base.mean() + 0.3 * (base - base.mean())  # low saturation
    ramp = np.linspace(-25, 25, h, dtype=np.float32)[:, None, None]
    img = np.broadcast_to(base + ramp, (h, w, 3)).copy()
    if noise == 'pixel':
        img += rng.normal(0, 5, (h, w, 3)).astype(np.float32)
    elif noise == 'smooth':
        blobs = rng.normal(0, 8, (h // 8, w // 8, 3)).astype(np.float32)
        img += cv2.resize(blobs, (w, h), interpolation=cv2.INTER_LINEAR)
    else:
        raise ValueError(f"noise must be 'pixel' or 'smooth', got {noise!r}.")
    img = np.clip(img, 0, 255).astype(np.uint8)
    for _ in range(rng.integers(2, 5)):
        grey = random_grey(rng, 40, 220, 8)
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        r = int(rng.integers(*grey_radius))
        if not rectangles or rng.random() < 0.5:
            cv2.circle(img, (x, y), r, grey, -1, cv2.LINE_AA)
        else:
            cv2.rectangle(img, (x - r, y - r // 2), (x + r, y + r // 2), grey,
                          -1)
    return img
