# Copyright (c) glamor_mm contributors.
"""Build NCAER-S (GLAMOR-Net §4.1) from the CAER video clips.

Every clip ``CAER_ROOT/<split>/<Class>/<clip>.avi`` is cut into parts of
about ``--part-seconds`` seconds and one random frame of each part (seeded
per clip, so the result does not depend on order or on resuming) is
written to ``OUT/images/<split>/<Class>/<clip>_<part>.jpg``. Splits are kept
as in CAER (``validation`` is written as ``val``); a clip whose content also
appears in an earlier split (train, then val) is left out of the later one,
so no clip contributes to two splits. ``--balance`` caps every class of a
split at the size of its smallest class. With ``--detector-config`` an
MMDet face detector (e.g. ``configs/face_detectors/dlib_hog.py``) writes the
highest-scoring face box of every image to ``OUT/crop/<split>/<Class>/
<img>.txt`` as ``x1,y1,x2,y2`` (``0,0,0,0`` when no face is found, as in the
authors' release). ``OUT/sources/<split>.txt`` lists the source clip and
frame of every image. Images and boxes that already exist are kept, so an
interrupted run can simply be started again.

Example::

    python tools/dataset_converters/build_ncaers.py data/CAER data/ncaer_s \
        --seed 0 --balance --detector-config configs/face_detectors/dlib_hog.py
"""
import argparse
import hashlib
import os
import os.path as osp
import warnings
import zlib
from collections import defaultdict
from typing import Dict, List, NamedTuple, Optional, Sequence

import cv2
import numpy as np
from mmengine.utils import ProgressBar

SPLITS = {'train': 'train', 'validation': 'val', 'val': 'val', 'test': 'test'}
VIDEO_EXTS = ('.avi', '.mp4', '.mkv', '.mov')


class Clip(NamedTuple):
    """One source video and the frames drawn from it."""
    split: str  # output split name
    cls: str  # class folder name
    path: str  # absolute path of the video
    frames: List[int]  # one frame index per part


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Build the NCAER-S image dataset from CAER videos.')
    parser.add_argument(
        'caer_root', help='CAER root with <split>/<Class>/'
        '<clip>.avi')
    parser.add_argument('out', help='output NCAER-S root')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument(
        '--part-seconds', type=float, default=2., help='part length (s)')
    parser.add_argument(
        '--balance',
        action='store_true',
        help='cap every class of a split at its smallest class size')
    parser.add_argument(
        '--detector-config',
        help='MMDet face detector config; detect faces '
        'and write crop/<split>/<Class>/<img>.txt')
    parser.add_argument('--detector-checkpoint', help='detector weights')
    parser.add_argument('--device', default='cpu', help='detector device')
    return parser.parse_args(argv)


def find_clips(caer_root: str) -> Dict[str, Dict[str, List[str]]]:
    """``{split: {class: [video paths]}}`` in the CAER layout."""
    layout = {}
    for folder in sorted(os.listdir(caer_root)):
        split = SPLITS.get(folder.lower())
        if split is None or not osp.isdir(osp.join(caer_root, folder)):
            continue
        if split in layout:
            raise ValueError(f'{caer_root} has two folders for the {split} '
                             'split.')
        classes = {}
        for cls in sorted(os.listdir(osp.join(caer_root, folder))):
            cls_dir = osp.join(caer_root, folder, cls)
            if osp.isdir(cls_dir):
                classes[cls] = [
                    osp.join(cls_dir, f) for f in sorted(os.listdir(cls_dir))
                    if f.lower().endswith(VIDEO_EXTS)
                ]
        layout[split] = classes
    if not layout:
        raise FileNotFoundError(
            f'{caer_root} has no train/validation/test folders of '
            '<Class>/<clip>.avi videos.')
    return layout


def file_digest(path: str) -> str:
    """MD5 of a file's content, to find the same clip in two splits."""
    digest = hashlib.md5()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def drop_shared_clips(layout: Dict[str, Dict[str, List[str]]]) -> int:
    """Remove from val/test the clips whose content is in an earlier split.

    Returns:
        int: Number of clips removed.
    """
    seen, removed = set(), 0
    for split in ('train', 'val', 'test'):
        split_digests = set()
        for cls, paths in layout.get(split, {}).items():
            kept = []
            for path in paths:
                digest = file_digest(path)
                if digest in seen:
                    removed += 1
                else:
                    kept.append(path)
                    split_digests.add(digest)
            layout[split][cls] = kept
        seen |= split_digests
    return removed


def sample_frames(num_frames: int, fps: float, part_seconds: float,
                  rng: np.random.Generator) -> List[int]:
    """One random frame index in each part of about ``part_seconds``."""
    if num_frames <= 0:
        return []
    num_parts = max(1, int(round(num_frames / (fps * part_seconds))))
    bounds = np.linspace(0, num_frames, num_parts + 1).round().astype(int)
    return [int(rng.integers(lo, hi)) for lo, hi in zip(bounds, bounds[1:])]


def clip_rng(seed: int, key: str) -> np.random.Generator:
    """A generator that depends only on the seed and the clip's name."""
    return np.random.default_rng([seed, zlib.crc32(key.encode())])


def plan_clips(caer_root: str, layout: Dict[str, Dict[str, List[str]]],
               seed: int, part_seconds: float) -> List[Clip]:
    """Choose the frames of every clip (reads only the video headers)."""
    clips = []
    for split, classes in layout.items():
        for cls, paths in classes.items():
            for path in paths:
                cap = cv2.VideoCapture(path)
                if not cap.isOpened():
                    raise IOError(f'{path}: cannot open the video.')
                num_frames = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
                fps = cap.get(cv2.CAP_PROP_FPS)
                cap.release()
                if fps <= 0:
                    raise ValueError(f'{path}: the video has no frame rate.')
                key = osp.relpath(path, caer_root)
                clips.append(
                    Clip(
                        split, cls, path,
                        sample_frames(num_frames, fps, part_seconds,
                                      clip_rng(seed, key))))
    return clips


def balance_classes(clips: List[Clip], seed: int) -> List[Clip]:
    """Cap the number of frames of each class at the smallest class."""
    by_split = defaultdict(lambda: defaultdict(list))
    for index, clip in enumerate(clips):
        for part in range(len(clip.frames)):
            by_split[clip.split][clip.cls].append((index, part))
    keep = defaultdict(set)
    for split, classes in by_split.items():
        cap = min(len(items) for items in classes.values())
        for cls, items in classes.items():
            rng = clip_rng(seed, f'balance/{split}/{cls}')
            for i in rng.choice(len(items), size=cap, replace=False):
                keep[items[i][0]].add(items[i][1])
    return [
        clip._replace(frames=[
            f for part, f in enumerate(clip.frames) if part in keep[index]
        ]) for index, clip in enumerate(clips)
    ]


def image_name(clip: Clip, frame: int) -> str:
    """Output file name of a frame, unique within the class folder."""
    stem = osp.splitext(osp.basename(clip.path))[0]
    return f'{stem}_{frame:06d}.jpg'


def write_atomic_image(path: str, image: np.ndarray) -> None:
    """Write an image so that an interrupted run leaves no partial file."""
    tmp = f'{path[:-4]}.partial.jpg'
    if not cv2.imwrite(tmp, image):
        raise IOError(f'{path}: cannot write the image.')
    os.replace(tmp, path)


def extract_frames(clip: Clip, out_dir: str) -> Dict[int, str]:
    """Write the chosen frames of a clip; existing images are kept.

    A video that ends before a chosen frame (its header over-counts the
    frames) loses that frame with a warning naming the file.

    Returns:
        dict[int, str]: Frame index -> path of the clip's images.
    """
    targets = {f: osp.join(out_dir, image_name(clip, f)) for f in clip.frames}
    todo = {f for f, path in targets.items() if not osp.exists(path)}
    if todo:
        os.makedirs(out_dir, exist_ok=True)
        cap = cv2.VideoCapture(clip.path)
        index = 0
        while todo and index <= max(todo):
            ok, frame = cap.read()
            if not ok:
                break
            if index in todo:
                write_atomic_image(targets[index], frame)
                todo.discard(index)
            index += 1
        cap.release()
        if todo:
            warnings.warn(f'{clip.path}: the video ended after {index} '
                          f'frames; left out frames {sorted(todo)}.')
    return {f: path for f, path in targets.items() if f not in todo}


def detect_face(model, img_path: str) -> List[int]:
    """Highest-scoring face box ``[x1, y1, x2, y2]``; zeros if none."""
    from glamor_mm.apis import detect_faces
    bboxes, _ = detect_faces(model, img_path)[0]  # sorted by score
    if len(bboxes) == 0:
        return [0, 0, 0, 0]
    return [int(round(v)) for v in bboxes[0].tolist()]


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    layout = find_clips(args.caer_root)
    removed = drop_shared_clips(layout)
    if removed:
        print(f'Left out {removed} val/test clips already in an earlier '
              'split.')
    clips = plan_clips(args.caer_root, layout, args.seed, args.part_seconds)
    if args.balance:
        clips = balance_classes(clips, args.seed)

    print(f'Extracting {sum(len(c.frames) for c in clips)} frames from '
          f'{len(clips)} clips')
    sources = defaultdict(list)
    images = []
    progress = ProgressBar(len(clips))
    for clip in clips:
        paths = extract_frames(
            clip, osp.join(args.out, 'images', clip.split, clip.cls))
        for frame, path in paths.items():
            images.append((clip, path))
            sources[clip.split].append(
                f'{clip.cls}/{osp.basename(path)},'
                f'{osp.relpath(clip.path, args.caer_root)},{frame}')
        progress.update()
    print()

    os.makedirs(osp.join(args.out, 'sources'), exist_ok=True)
    for split, lines in sources.items():
        with open(osp.join(args.out, 'sources', f'{split}.txt'), 'w') as f:
            f.write('\n'.join(sorted(lines)) + '\n')

    if args.detector_config:
        from glamor_mm.apis import init_face_detector
        detector = init_face_detector(
            args.detector_config, args.detector_checkpoint, device=args.device)
        print(f'Detecting faces in {len(images)} images')
        progress = ProgressBar(len(images))
        for clip, path in images:
            box_dir = osp.join(args.out, 'crop', clip.split, clip.cls)
            box_file = osp.join(box_dir,
                                osp.splitext(osp.basename(path))[0] + '.txt')
            if not osp.exists(box_file):
                os.makedirs(box_dir, exist_ok=True)
                box = ','.join(str(v) for v in detect_face(detector, path))
                with open(box_file + '.partial', 'w') as f:
                    f.write(box + '\n')
                os.replace(box_file + '.partial', box_file)
            progress.update()
        print()
    print(f'NCAER-S written to {args.out}')


if __name__ == '__main__':
    main()
