"""Built-in synthetic data: small CAER-S-layout scenes (face + context).

Each scene is a person (a face and a torso) in front of a noisy background
with grey distractor shapes. The label is written by two cues:

- a **face cue**, drawn on the face (inside the face box):

  ===  ===================================================
  f0   slanted (angry) brows, straight purple mouth
  f1   raised brows, wide open black mouth
  f2   red smile
  f3   blue frown
  ===  ===================================================

- a **context cue**: three copies of a saturated shape placed outside the
  face box (so they survive face masking, flips and random crops):

  ===  ===================================================
  c0   red triangles
  c1   green squares
  c2   yellow discs
  c3   blue diamonds
  ===  ===================================================

Classes share cues in a chain, so neither view alone tells all of them apart
(some classes share the face and differ in context, others the reverse):

========  ====  =======
class     face  context
========  ====  =======
Anger     f0    c0
Disgust   f0    c1
Fear      f1    c1
Happy     f2    c3
Neutral   f3    c2
Sad       f3    c3
Surprise  f1    c2
========  ====  =======

With balanced classes the best possible accuracy (Bayes, noise-free cues) is
**100 %** from face and context together, **4/7 = 57.1 %** from the face alone
(f0, f1 and f3 each leave two classes), **4/7 = 57.1 %** from the masked
context alone (c1, c2 and c3 each leave two classes), and 1/7 = 14.3 % by
chance; see :func:`toy_best_accuracy`. The context with the face visible
(Table 4 setting iii) contains both cues.

Generation is deterministic: sample ``i`` of class ``c`` in split ``s`` is
drawn from ``numpy.random.default_rng([seed, s, c, i])`` and written as PNG
with OpenCV, so the same arguments give identical files (and adding samples
does not change the existing ones).
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from .categories import CAER_CLASSES

# class -> (face cue, context cue), in CAER_CLASSES order.
TOY_CUES: Tuple[Tuple[int, int], ...] = (
    (0, 0),  # Anger
    (0, 1),  # Disgust
    (1, 1),  # Fear
    (2, 3),  # Happy
    (3, 2),  # Neutral
    (3, 3),  # Sad
    (1, 2),  # Surprise
)
TOY_SPLITS = ('train', 'val', 'test')
DEFAULT_NUM_PER_CLASS = dict(train=60, val=15, test=30)
DEFAULT_IMG_SIZE = (144, 192)  # (H, W)

# BGR colours.
_MOUTH_COLORS = ((140, 0, 140), (20, 20, 20), (0, 0, 210), (210, 40, 0))
_CONTEXT_COLORS = ((0, 0, 230), (0, 190, 0), (0, 220, 240), (230, 60, 0))


def toy_best_accuracy(views: Sequence[str] = ('face', 'context')) -> float:
    """Best achievable accuracy on balanced toy data from some views.

    Args:
        views (Sequence[str]): Subset of ``('face', 'context')``; empty means
            chance.

    Returns:
        float: The Bayes accuracy, e.g. 4/7 for ``('face', )``.
    """
    keys = [
        tuple(cue[i] for i, v in enumerate(('face', 'context')) if v in views)
        for cue in TOY_CUES
    ]
    # For each observable key one of its classes is guessed right.
    return len(set(keys)) / len(TOY_CUES)


def _draw_face(img: np.ndarray, box: Tuple[int, int, int, int], cue: int,
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
    color = _MOUTH_COLORS[cue]
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


def _draw_context_cue(img: np.ndarray, centre: Tuple[int, int], r: int,
                      cue: int) -> None:
    """Draw one context-cue shape of radius ``r`` at ``centre`` (in place)."""
    x, y = centre
    color = _CONTEXT_COLORS[cue]
    if cue == 0:
        pts = np.array([(x, y - r), (x - r, y + r), (x + r, y + r)], np.int32)
        cv2.fillPoly(img, [pts], color, cv2.LINE_AA)
    elif cue == 1:
        cv2.rectangle(img, (x - r, y - r), (x + r, y + r), color, -1)
    elif cue == 2:
        cv2.circle(img, (x, y), r, color, -1, cv2.LINE_AA)
    else:
        pts = np.array([(x, y - r), (x - r, y), (x, y + r), (x + r, y)],
                       np.int32)
        cv2.fillPoly(img, [pts], color, cv2.LINE_AA)


def _overlaps(a: Sequence[int], b: Sequence[int], margin: int) -> bool:
    """Whether boxes ``a`` and ``b`` (x1, y1, x2, y2) overlap or touch."""
    return not (a[2] + margin <= b[0] or b[2] + margin <= a[0]
                or a[3] + margin <= b[1] or b[3] + margin <= a[1])


def draw_toy_scene(
    label: int,
    rng: np.random.Generator,
    img_size: Tuple[int, int] = DEFAULT_IMG_SIZE
) -> Tuple[np.ndarray, Tuple[int, int, int, int]]:
    """Draw one synthetic scene of class ``label``.

    Args:
        label (int): Index into ``CAER_CLASSES``.
        rng (np.random.Generator): Source of randomness.
        img_size (tuple[int, int]): ``(H, W)`` of the scene, at least
            ``(96, 128)``. Defaults to ``(144, 192)``.

    Returns:
        tuple: The ``H x W x 3`` uint8 BGR image and the face box
        ``(x1, y1, x2, y2)`` (integers, ``x2, y2`` exclusive).
    """
    h, w = img_size
    if h < 96 or w < 128:
        raise ValueError(f'img_size (H, W) must be at least (96, 128), got '
                         f'{img_size}.')
    face_cue, context_cue = TOY_CUES[label]
    # background: dull colour, vertical gradient, noise
    base = rng.integers(70, 170, 3).astype(np.float32)
    base = base.mean() + 0.3 * (base - base.mean())  # low saturation
    ramp = np.linspace(-25, 25, h, dtype=np.float32)[:, None, None]
    img = np.broadcast_to(base + ramp, (h, w, 3)).copy()
    img += rng.normal(0, 5, (h, w, 3)).astype(np.float32)
    img = np.clip(img, 0, 255).astype(np.uint8)
    # grey distractors anywhere
    for _ in range(rng.integers(2, 5)):
        grey = tuple(
            int(g) for g in rng.integers(40, 220) + rng.integers(-8, 9, 3))
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        r = int(rng.integers(6, 16))
        if rng.random() < 0.5:
            cv2.circle(img, (x, y), r, grey, -1, cv2.LINE_AA)
        else:
            cv2.rectangle(img, (x - r, y - r // 2), (x + r, y + r // 2), grey,
                          -1)
    # person: face box and torso
    fw = int(rng.integers(round(0.26 * h), round(0.42 * h)))
    fh = round(fw * 1.15)
    fx = int(rng.integers(0, w - fw))
    fy = int(rng.integers(0, min(round(0.55 * h), h - fh - 8)))
    face_box = (fx, fy, fx + fw, fy + fh)
    torso = tuple(
        int(g) for g in rng.integers(50, 200) + rng.integers(-15, 16, 3))
    cv2.rectangle(img, (fx - fw // 3, fy + fh), (fx + fw + fw // 3, h), torso,
                  -1)
    _draw_face(img, face_box, face_cue, rng)
    # context cues outside the face box
    r = max(6, round(0.075 * h))
    placed: List[Tuple[int, int, int, int]] = []
    for _ in range(10000):
        if len(placed) == 3:
            break
        x, y = int(rng.integers(r, w - r)), int(rng.integers(r, h - r))
        box = (x - r, y - r, x + r + 1, y + r + 1)
        if _overlaps(box, face_box, 3) or any(
                _overlaps(box, b, 1) for b in placed):
            continue
        placed.append(box)
        _draw_context_cue(img, (x, y), r, context_cue)
    else:
        raise RuntimeError('No room for the context cues; enlarge img_size.')
    return img, face_box


def generate_toy_caers(
        out_dir: str,
        num_per_class: Optional[Dict[str, int]] = None,
        seed: int = 0,
        img_size: Tuple[int, int] = DEFAULT_IMG_SIZE) -> Dict[str, int]:
    """Write the toy dataset in the CAER-S layout with face-box lists.

    Layout::

        out_dir/train/<Class>/0000.png ...   (same for val/, test/)
        out_dir/train.txt   lines "train/Anger/0000.png,0,x1,y1,x2,y2"

    Args:
        out_dir (str): Output folder (created if needed).
        num_per_class (dict[str, int], optional): Images per class of each
            split; splits left out are not written. Defaults to
            ``DEFAULT_NUM_PER_CLASS`` (train 60, val 15, test 30).
        seed (int): Seed of the whole dataset. Defaults to 0.
        img_size (tuple[int, int]): ``(H, W)`` of the scenes. Defaults to
            ``(144, 192)``.

    Returns:
        dict[str, int]: Number of images written per split.
    """
    num_per_class = dict(DEFAULT_NUM_PER_CLASS if num_per_class is
                         None else num_per_class)
    unknown = set(num_per_class) - set(TOY_SPLITS)
    if unknown:
        raise ValueError(f'Unknown split(s) {sorted(unknown)}; the toy data '
                         f'has {TOY_SPLITS}.')
    counts = {}
    for split_idx, split in enumerate(TOY_SPLITS):
        if split not in num_per_class:
            continue
        lines = []
        for label, name in enumerate(CAER_CLASSES):
            os.makedirs(osp.join(out_dir, split, name), exist_ok=True)
            for i in range(num_per_class[split]):
                rng = np.random.default_rng([seed, split_idx, label, i])
                img, (x1, y1, x2, y2) = draw_toy_scene(label, rng, img_size)
                rel_path = f'{split}/{name}/{i:04d}.png'
                if not cv2.imwrite(osp.join(out_dir, rel_path), img):
                    raise OSError(
                        f'Could not write {osp.join(out_dir, rel_path)}')
                lines.append(f'{rel_path},{label},{x1},{y1},{x2},{y2}\n')
        with open(osp.join(out_dir, f'{split}.txt'), 'w') as f:
            f.writelines(lines)
        counts[split] = len(lines)
    return counts
