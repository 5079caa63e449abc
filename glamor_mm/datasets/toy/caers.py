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

A second mode, ``'guided'`` (:func:`draw_guided_scene`), needs the face to
tell *which* part of the context matters, the case that GLAMOR-Net's
face-guided attention is built for. Each scene holds four objects, squares in
each colour of ``GUIDED_COLORS`` (green, yellow, orange, cyan), at random
places; each square carries a mark in its centre, in one of the four colours
of ``GUIDED_MARKS`` (black, white, blue, purple). The face carries the face
cue above and a hat in the colour of one object. The context cue of the label
is the *mark* of that object (c0 black, c1 white, c2 blue, c3 purple, with
the table above); the three other objects have random marks. See
:func:`guided_best_accuracy` for the best possible accuracy of each input.

Generation is deterministic: sample ``i`` of class ``c`` in split ``s`` is
drawn from ``numpy.random.default_rng([seed, s, c, i])`` and written as PNG
with OpenCV, so the same arguments give identical files (and adding samples
does not change the existing ones).
"""
import itertools
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from .drawing import (CONTEXT_COLORS, draw_background, draw_face, draw_shape,
                      random_grey)
from .generation import cue_table_best_accuracy, write_toy_splits

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
# Scene size of each mode; 'guided' scenes are the context view as they are
# (no resize or crop), 80x112 -> a 5x7 map of the original encoder.
DEFAULT_MODE_IMG_SIZE = dict(cues=DEFAULT_IMG_SIZE, guided=(80, 112))
GUIDED_VIEWS = ('face', 'context', 'marks')

# 'guided' mode (BGR colours): one object in each colour (green, yellow, orange, cyan);
# none of them is a mouth colour. The mark of an object (black, white, blue,
# purple) is the context cue.
GUIDED_COLORS = ((0, 200, 0), (0, 230, 230), (0, 120, 255), (230, 200, 0))
GUIDED_MARKS = ((20, 20, 20), (245, 245, 245), (220, 40, 40), (200, 40, 200))


def toy_best_accuracy(views: Sequence[str] = ('face', 'context')) -> float:
    """Best achievable accuracy on balanced toy data from some views.

    Args:
        views (Sequence[str]): Subset of ``('face', 'context')``; empty means
            chance.

    Returns:
        float: The Bayes accuracy, e.g. 4/7 for ``('face', )``.
    """
    return cue_table_best_accuracy(TOY_CUES, ('face', 'context'), views)


def guided_best_accuracy(views: Sequence[str] = ('face', 'context')) -> float:
    """Best achievable accuracy on balanced ``'guided'`` toy data.

    Exact, by enumerating every class, target colour and distractor marks
    (all equally likely) and guessing the most likely class of every
    observation.

    Args:
        views (Sequence[str]): Subset of ``GUIDED_VIEWS``: ``'face'`` (face
            cue and hat colour), ``'context'`` (the mark of each coloured
            object) and ``'marks'`` (the marks in the context without
            their colours, i.e. without knowing which object the face
            points to); empty means chance.

    Returns:
        float: The Bayes accuracy, e.g. 1.0 for ``('face', 'context')``.
    """
    unknown = set(views) - set(GUIDED_VIEWS)
    if unknown:
        raise ValueError(f'Unknown view(s) {sorted(unknown)}; choose from '
                         f'{GUIDED_VIEWS}.')
    num_objects = len(GUIDED_COLORS)
    joint: Dict[tuple, np.ndarray] = {}
    num_marks = len(GUIDED_MARKS)
    for label, (face_cue, mark) in enumerate(TOY_CUES):
        for target in range(num_objects):
            for others in itertools.product(
                    range(num_marks), repeat=num_objects - 1):
                marks = others[:target] + (mark, ) + others[target:]
                seen = dict(
                    face=(face_cue, target),
                    context=marks,
                    marks=tuple(sorted(marks)))
                key = tuple(seen[v] for v in GUIDED_VIEWS if v in views)
                joint.setdefault(key, np.zeros(len(TOY_CUES)))[label] += 1
    total = len(TOY_CUES) * num_objects * num_marks**(num_objects - 1)
    return float(sum(counts.max() for counts in joint.values()) / total)


def _overlaps(a: Sequence[int], b: Sequence[int], margin: int) -> bool:
    """Whether boxes ``a`` and ``b`` (x1, y1, x2, y2) overlap or touch."""
    return not (a[2] + margin <= b[0] or b[2] + margin <= a[0]
                or a[3] + margin <= b[1] or b[3] + margin <= a[1])


def _draw_person(img: np.ndarray, rng: np.random.Generator,
                 face_cue: int) -> Tuple[int, int, int, int]:
    """Draw a torso and a face with ``face_cue``; return the face box."""
    h, w = img.shape[:2]
    fw = int(rng.integers(round(0.26 * h), round(0.42 * h)))
    fh = round(fw * 1.15)
    fx = int(rng.integers(0, w - fw))
    fy = int(rng.integers(0, min(round(0.55 * h), h - fh - 8)))
    face_box = (fx, fy, fx + fw, fy + fh)
    torso = random_grey(rng, 50, 200, 15)
    cv2.rectangle(img, (fx - fw // 3, fy + fh), (fx + fw + fw // 3, h), torso,
                  -1)
    draw_face(img, face_box, face_cue, rng)
    return face_box


def _place_shapes(rng: np.random.Generator, img_size: Tuple[int, int], r: int,
                  count: int,
                  face_box: Sequence[int]) -> List[Tuple[int, int]]:
    """Centres of ``count`` non-overlapping shapes of radius ``r`` inside
    the image and outside the face box."""
    h, w = img_size
    placed: List[Tuple[int, int, int, int]] = []
    for _ in range(10000):
        if len(placed) == count:
            return [((b[0] + b[2]) // 2, (b[1] + b[3]) // 2) for b in placed]
        x, y = int(rng.integers(r, w - r)), int(rng.integers(r, h - r))
        box = (x - r, y - r, x + r + 1, y + r + 1)
        if _overlaps(box, face_box, 3) or any(
                _overlaps(box, b, 1) for b in placed):
            continue
        placed.append(box)
    raise RuntimeError('No room for the context shapes; enlarge img_size.')


def _check_img_size(img_size: Tuple[int, int], minimum: Tuple[int,
                                                              int]) -> None:
    """Raise a ValueError if ``img_size`` (H, W) is below ``minimum``."""
    if img_size[0] < minimum[0] or img_size[1] < minimum[1]:
        raise ValueError(f'img_size (H, W) must be at least {minimum}, got '
                         f'{tuple(img_size)}.')


def draw_toy_scene(
    label: int,
    rng: np.random.Generator,
    img_size: Tuple[int, int] = DEFAULT_IMG_SIZE
) -> Tuple[np.ndarray, Tuple[int, int, int, int]]:
    """Draw one synthetic scene of class ``label`` (``'cues'`` mode).

    Args:
        label (int): Index into ``CAER_CLASSES``.
        rng (np.random.Generator): Source of randomness.
        img_size (tuple[int, int]): ``(H, W)`` of the scene, at least
            ``(96, 128)``. Defaults to ``(144, 192)``.

    Returns:
        tuple: The ``H x W x 3`` uint8 BGR image and the face box
        ``(x1, y1, x2, y2)`` (integers, ``x2, y2`` exclusive).
    """
    _check_img_size(img_size, (96, 128))
    face_cue, context_cue = TOY_CUES[label]
    img = draw_background(rng, img_size, grey_radius=(6, 16))
    face_box = _draw_person(img, rng, face_cue)
    # three copies of the context cue outside the face box
    r = max(6, round(0.075 * img_size[0]))
    for centre in _place_shapes(rng, img_size, r, 3, face_box):
        draw_shape(img, centre, r, context_cue, CONTEXT_COLORS[context_cue])
    return img, face_box


def draw_guided_scene(
    label: int,
    rng: np.random.Generator,
    img_size: Tuple[int, int] = DEFAULT_MODE_IMG_SIZE['guided']
) -> Tuple[np.ndarray, Tuple[int, int, int, int]]:
    """Draw one ``'guided'`` scene of class ``label``.

    The face gets the face cue of the label and a hat in the colour of a
    random target object; the target gets the mark of the label's context
    cue; the other objects get random marks. An object is a square of
    radius ``r`` (0.085 of the scene height) in its colour with a square mark
    of radius ``r / 2`` in its centre.

    Args:
        label (int): Index into ``CAER_CLASSES``.
        rng (np.random.Generator): Source of randomness.
        img_size (tuple[int, int]): ``(H, W)`` of the scene, at least
            ``(80, 112)``. Defaults to ``(80, 112)``.

    Returns:
        tuple: The ``H x W x 3`` uint8 BGR image and the face box
        ``(x1, y1, x2, y2)`` (integers, ``x2, y2`` exclusive).
    """
    _check_img_size(img_size, (80, 112))
    face_cue, mark = TOY_CUES[label]
    img = draw_background(rng, img_size, grey_radius=(4, 11))
    target = int(rng.integers(len(GUIDED_COLORS)))
    marks = rng.integers(len(GUIDED_MARKS), size=len(GUIDED_COLORS))
    marks[target] = mark
    x1, y1, x2, y2 = face_box = _draw_person(img, rng, face_cue)
    hat_w, hat_h = round(0.3 * (x2 - x1)), round(0.17 * (y2 - y1))
    cx = (x1 + x2) // 2
    cv2.rectangle(img, (cx - hat_w, y1), (cx + hat_w, y1 + hat_h),
                  GUIDED_COLORS[target], -1)
    r = max(6, round(0.085 * img_size[0]))
    centres = _place_shapes(rng, img_size, r, len(GUIDED_COLORS), face_box)
    half = round(r / 2)
    for (x, y), m, color in zip(centres, marks, GUIDED_COLORS):
        cv2.rectangle(img, (x - r, y - r), (x + r, y + r), color, -1)
        cv2.rectangle(img, (x - half, y - half), (x + half, y + half),
                      GUIDED_MARKS[m], -1)
    return img, face_box


def guided_object_masks(
        img: np.ndarray,
        face_bbox: Sequence[float],
        tolerance: int = 12) -> Tuple[np.ndarray, Optional[int]]:
    """Read the objects and the named one back from a ``'guided'`` scene.

    The inverse of :func:`draw_guided_scene` for analyses that need to know
    where the objects are: the square spanned by the pixels of each
    ``GUIDED_COLORS`` colour outside the face box is that object (with its
    mark), and the colour of the hat inside the face box names the target.

    Args:
        img (np.ndarray): The ``H x W x 3`` uint8 BGR scene as written.
        face_bbox (Sequence[float]): Face box ``(x1, y1, x2, y2)``.
        tolerance (int): Largest per-channel difference from an object
            colour. Defaults to 12.

    Returns:
        tuple: The object masks, bool array of shape (K, H, W) with K =
        ``len(GUIDED_COLORS)`` in that colour order, and the index of the
        named object, or None if no hat colour is found in the face box.
    """
    x1, y1, x2, y2 = (int(round(v)) for v in face_bbox)
    diff = np.abs(img[None].astype(np.int16) -
                  np.array(GUIDED_COLORS, np.int16)[:, None, None])
    colored = diff.max(axis=-1) <= tolerance
    hats = colored[:, y1:y2, x1:x2].sum(axis=(1, 2))
    colored[:, y1:y2, x1:x2] = False
    masks = np.zeros_like(colored)
    for mask, pixels in zip(masks, colored):  # fill in the mark
        ys, xs = np.nonzero(pixels)
        if len(ys):
            mask[ys.min():ys.max() + 1, xs.min():xs.max() + 1] = True
    return masks, int(np.argmax(hats)) if hats.max() > 0 else None


TOY_SCENES = dict(cues=draw_toy_scene, guided=draw_guided_scene)
TOY_MODES = tuple(TOY_SCENES)


def generate_toy_caers(out_dir: str,
                       num_per_class: Optional[Dict[str, int]] = None,
                       seed: int = 0,
                       img_size: Optional[Tuple[int, int]] = None,
                       mode: str = 'cues') -> Dict[str, int]:
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
        img_size (tuple[int, int], optional): ``(H, W)`` of the scenes.
            Defaults to the mode's ``DEFAULT_MODE_IMG_SIZE``: ``(144, 192)``
            for ``'cues'``, ``(80, 112)`` for ``'guided'``.
        mode (str): ``'cues'`` (:func:`draw_toy_scene`) or ``'guided'``
            (:func:`draw_guided_scene`). Defaults to ``'cues'``.

    Returns:
        dict[str, int]: Number of images written per split.
    """
    if mode not in TOY_MODES:
        raise ValueError(f'Unknown mode {mode!r}; choose from {TOY_MODES}.')
    draw = TOY_SCENES[mode]
    img_size = tuple(img_size or DEFAULT_MODE_IMG_SIZE[mode])

    def write_sample(label: int, stem: str, rng: np.random.Generator) -> str:
        img, (x1, y1, x2, y2) = draw(label, rng, img_size)
        rel_path = f'{stem}.png'
        if not cv2.imwrite(osp.join(out_dir, rel_path), img):
            raise OSError(f'Could not write {osp.join(out_dir, rel_path)}')
        return f'{rel_path},{label},{x1},{y1},{x2},{y2}\n'

    def write_index(split: str, lines: List[str]) -> None:
        with open(osp.join(out_dir, f'{split}.txt'), 'w') as f:
            f.writelines(lines)

    return write_toy_splits(out_dir, TOY_SPLITS, num_per_class,
                            DEFAULT_NUM_PER_CLASS, seed, write_sample,
                            write_index)
