"""Detect faces over an emotion dataset and write an annotation file.

Runs an MMDet face detector (``configs/face_detectors/``) over every image of
a dataset tree and writes the OpenMMLab 2.0 annotation file read by
``EmotionAnnotationDataset``::

    {"metainfo": {"classes": ["Anger", ..., "Surprise"], "face_detection": ...},
     "data_list": [
        {"img_path": "train/Happy/0001.png", "gt_label": 3,
         "face_bbox": [x1, y1, x2, y2],          # the chosen face, or null
         "face_det_bboxes": [[x1, y1, x2, y2], ...],   # all detections
         "face_det_scores": [s1, ...]},           # by decreasing score
        ...]}

``img_path`` is relative to ``--data-root``; ``ori_shape`` is the image's
``[H, W]`` (the dataset checks that boxes overlap the image). Images without a
face are kept with ``face_bbox: null`` (the training pipeline's ``CropFace``
decides what that means) and counted at the end. An image that cannot be read
or on which the detector fails (an empty or corrupt file...) does not stop
the run: it is left out of ``data_list``, listed with the reason in the
metainfo's ``failed`` and on stderr at the end (and tried again by a re-run),
and the tool exits with status 3 once the file is written. Running out of
memory, or ``--max-consecutive-failures`` images failing in a row (default
10: a misconfigured detector fails on every image), stops the run with status
1 and without writing ``--out`` (what was done is kept for a re-run).

Layouts (``--layout``; class folders in any spelling the datasets accept):

- ``caers``: ``<data-root>/<split>/<Class>/<img>`` (CAER-S, the toy data)
- ``ncaers``: ``<data-root>/images/<split>/<Class>/<img>`` (NCAER-S)
- ``folder``: ``<data-root>/<Class>/<img>`` (``--split`` unused)

Interrupted runs resume: every result is appended to ``<out>.partial.jsonl``
as soon as it is known, and a re-run skips the images found there and in an
existing ``--out``; the partial file is removed once ``--out`` is written.
Both files record the run (metainfo ``face_detection``: absolute data root,
layout, split, detector config path and SHA-256 of its text, checkpoint,
score threshold); a re-run with other settings stops with an error instead of
mixing detections of another dataset or detector (``--restart`` starts over).

Examples:
    python tools/detect_faces.py configs/face_detectors/dlib_hog.py \\
        --data-root data/caer_s --layout caers --split train \\
        --out data/caer_s/train_faces.json --workers 2
    python tools/detect_faces.py configs/face_detectors/dlib_cnn.py \\
        --data-root data/ncaer_s --layout ncaers --split test \\
        --out data/ncaer_s/test_faces.json --select area
"""
import argparse
import hashlib
import json
import multiprocessing
import os
import os.path as osp
from typing import Callable, Dict, List, Optional, Tuple

import mmengine
import numpy as np
import torch
from mmengine.utils import ProgressBar

from glamor_mm.apis import (detect_faces, init_face_detector, read_image,
                            select_face)
from glamor_mm.apis.input_failures import (InputFailures, add_failure_argument,
                                           exit_if_failed, failure_reason)
from glamor_mm.datasets.categories import CAER_CLASSES
from glamor_mm.datasets.emotion_annotation_dataset import \
    EmotionAnnotationDataset
from glamor_mm.utils import load_data_file

LAYOUTS = {
    'caers': '{split}',
    'ncaers': 'images/{split}',
    'folder': '',
}

_DETECTOR = None
_SCORE_THR = 0.


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Detect faces in a dataset and write an MMEngine '
        'annotation file for EmotionAnnotationDataset')
    parser.add_argument('--data-root', required=True, help='dataset root')
    parser.add_argument(
        '--layout',
        choices=sorted(LAYOUTS),
        default='caers',
        help='dataset layout')
    parser.add_argument(
        '--split', default='train', help='split folder (caers, ncaers)')
    parser.add_argument('--out', required=True, help='output .json file')
    parser.add_argument(
        '--select',
        choices=['score', 'area'],
        default='score',
        help='face used for training: the most confident or the largest')
    add_runner_args(parser)
    return parser.parse_args()


def add_runner_args(parser: argparse.ArgumentParser) -> None:
    """Add the detector, process and resume options of the runner."""
    parser.add_argument('config', help='MMDet face detector config')
    parser.add_argument(
        'checkpoint',
        nargs='?',
        default=None,
        help='detector weights (not needed by the dlib detectors)')
    parser.add_argument(
        '--score-thr',
        type=float,
        default=0.,
        help='ignore detections scored below it')
    parser.add_argument('--workers', type=int, default=1, help='CPU processes')
    parser.add_argument(
        '--device',
        default='cpu',
        help='device (only with --workers 1; workers always use the CPU)')
    parser.add_argument(
        '--restart',
        action='store_true',
        help='ignore results of a previous (interrupted) run')
    add_failure_argument(parser)


def scan_images(data_root: str, layout: str,
                split: str) -> List[Tuple[str, int]]:
    """List ``(path relative to data_root, label)`` of a dataset tree."""
    sub_dir = LAYOUTS[layout].format(split=split)
    # The class-folder scan of the datasets (spellings, image extensions,
    # empty-split and unknown-class errors); lazy_init loads nothing.
    scanner = EmotionAnnotationDataset(ann_file='', lazy_init=True)
    samples = scanner._scan_class_folders(osp.join(data_root, sub_dir))
    return [(osp.join(sub_dir, rel).replace(os.sep, '/'), label)
            for rel, label in samples]


def run_id(args: argparse.Namespace) -> dict:
    """What the detections of a run depend on (checked when resuming)."""
    with open(args.config, 'rb') as f:
        config_sha256 = hashlib.sha256(f.read()).hexdigest()
    return dict(
        data_root=osp.abspath(args.data_root),
        layout=args.layout,
        split=args.split,
        config=osp.abspath(args.config),
        config_sha256=config_sha256,
        checkpoint=args.checkpoint and osp.abspath(args.checkpoint),
        score_thr=args.score_thr)


def check_same_run(ident: dict, previous: dict, source: str) -> None:
    """Raise if ``source`` was made by a run with other settings."""
    differ = sorted(
        k for k in set(ident) | set(previous)
        if ident.get(k) != previous.get(k))
    if differ:
        raise ValueError(
            f'{source} was made by another run (differs in ' +
            ', '.join(f'{k}: {previous.get(k)!r} there, {ident.get(k)!r} '
                      'now' for k in differ) +
            '); use --restart to start over, or another --out.')


def check_out_format(out: str) -> None:
    """Refuse an ``--out`` that is not JSON (before reading it to resume).

    An annotation file is data: a ``.pkl`` or ``.yaml`` one would be
    written with a format that can run code when it is read back.
    """
    if not out.lower().endswith('.json'):
        raise SystemExit(f'--out {out}: annotation files are written as '
                         'JSON; give a file name ending in .json.')


def load_previous(args: argparse.Namespace,
                  partial_file: str) -> Dict[str, dict]:
    """Detections of a previous run: ``img_path -> record``.

    Images that failed before are left out, so that they are tried again.
    """
    check_out_format(args.out)
    done = {}
    if args.restart:
        return done
    ident = run_id(args)
    if osp.isfile(args.out):
        ann = load_data_file(args.out)
        check_same_run(ident,
                       ann.get('metainfo', {}).get('face_detection', {}),
                       args.out)
        for item in ann['data_list']:
            done[item['img_path']] = dict(
                bboxes=item['face_det_bboxes'],
                scores=item['face_det_scores'],
                ori_shape=item['ori_shape'])
    done.update(load_partial(partial_file, ident))
    return done


def load_partial(partial_file: str,
                 ident: dict,
                 key: str = 'img_path') -> Dict[str, dict]:
    """Records of an interrupted run: ``record[key] -> record``.

    Records of inputs that failed are left out, so that they are tried
    again.

    Args:
        partial_file (str): The ``.partial.jsonl`` file (may not exist).
        ident (dict): The settings of this run; a file made with others
            is refused (see :func:`check_same_run`).
        key (str): Field naming the input of a record. Defaults to
            'img_path'.

    Returns:
        dict: The records found.
    """
    done = {}
    if osp.isfile(partial_file):
        with open(partial_file) as f:
            lines = f.read().splitlines()
        if lines:
            check_same_run(ident, json.loads(lines[0]), partial_file)
        for line in lines[1:]:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # the last line of a killed run may be cut
            if 'error' not in record:
                done[record[key]] = record
    return done


def init_worker(config: str, checkpoint: Optional[str], device: str,
                score_thr: float, num_threads: Optional[int]) -> None:
    """Build this process's detector once."""
    global _DETECTOR, _SCORE_THR
    if num_threads is not None:
        torch.set_num_threads(num_threads)
    _DETECTOR = init_face_detector(config, checkpoint, device=device)
    _SCORE_THR = score_thr


def detect_one(task: Tuple[str, str]) -> dict:
    """Detect the faces of one image with this process's detector.

    Returns:
        dict: ``img_path``, ``ori_shape``, ``bboxes`` and ``scores``; or
        ``img_path`` and ``error`` (the reason) if the image cannot be read
        or the detector fails on it.
    """
    rel_path, path = task
    try:
        img = read_image(path)
        bboxes, scores = detect_faces(_DETECTOR, img, _SCORE_THR)[0]
    except Exception as e:
        return dict(img_path=rel_path, error=failure_reason(e))
    return dict(
        img_path=rel_path,
        ori_shape=list(img.shape[:2]),
        bboxes=[[round(float(v), 2) for v in box] for box in bboxes],
        scores=[round(float(s), 4) for s in scores])


def run_detection(args: argparse.Namespace,
                  tasks: List[Tuple[str, str]],
                  partial_file: str,
                  work: Callable[[Tuple[str, str]], dict] = detect_one,
                  ident: Optional[dict] = None,
                  key: str = 'img_path',
                  kind: str = 'image') -> Dict[str, dict]:
    """Run ``work`` on ``tasks``, appending each result to the partial file.

    The detector of each process is built by :func:`init_worker`;
    ``args.workers`` processes share the tasks. A record with an ``error``
    is a failed input (see :class:`~glamor_mm.apis.InputFailures`).

    Args:
        args (argparse.Namespace): ``config``, ``checkpoint``, ``device``,
            ``score_thr``, ``workers``, ``restart`` and
            ``max_consecutive_failures``.
        tasks (list[tuple[str, str]]): ``(relative path, path)`` pairs.
        partial_file (str): File the records are appended to.
        work (callable): Turns a task into a JSON-able record, with the
            detector of its process. Defaults to :func:`detect_one`.
        ident (dict, optional): First line of a new partial file. Defaults
            to :func:`run_id`.
        key (str): Field of a record naming its input. Defaults to
            'img_path'.
        kind (str): What the inputs are, for messages. Defaults to 'image'.

    Returns:
        dict: ``record[key] -> record`` of the new results.

    Raises:
        TooManyFailuresError: After ``args.max_consecutive_failures``
            failed records in a row (those records are in the partial
            file).
    """
    done = {}
    failures = InputFailures(args.max_consecutive_failures, kind)
    new_file = args.restart or not osp.isfile(partial_file)
    with open(partial_file, 'w' if new_file else 'a') as f:
        if new_file:
            f.write(json.dumps(ident or run_id(args)) + '\n')
        if not tasks:
            return done
        initargs = (args.config, args.checkpoint,
                    'cpu' if args.workers > 1 else args.device, args.score_thr,
                    1 if args.workers > 1 else None)
        if args.workers > 1:
            pool = multiprocessing.Pool(args.workers, init_worker, initargs)
            results = pool.imap_unordered(work, tasks, chunksize=4)
        else:
            pool = None
            init_worker(*initargs)
            results = map(work, tasks)
        progress = ProgressBar(len(tasks))
        try:
            for record in results:
                f.write(json.dumps(record) + '\n')
                f.flush()
                done[record[key]] = record
                progress.update()
                if 'error' in record:
                    failures.add(record[key], record['error'])
                else:
                    failures.succeeded()
        finally:
            if pool is not None:
                pool.terminate()
        print()
    return done


def main() -> None:
    args = parse_args()
    samples = scan_images(args.data_root, args.layout, args.split)
    partial_file = args.out + '.partial.jsonl'
    done = load_previous(args, partial_file)
    tasks = [(rel, osp.join(args.data_root, rel)) for rel, _ in samples
             if rel not in done]
    print(f'{len(samples)} images, {len(samples) - len(tasks)} already '
          f'done, detecting faces in {len(tasks)}')
    mmengine.mkdir_or_exist(osp.dirname(osp.abspath(args.out)))
    done.update(run_detection(args, tasks, partial_file))

    data_list, failed = [], []
    for rel, label in samples:
        record = done[rel]
        if 'error' in record:
            failed.append(dict(img_path=rel, error=record['error']))
            continue
        index = select_face(
            np.asarray(record['bboxes'], dtype=np.float32).reshape(-1, 4),
            np.asarray(record['scores'], dtype=np.float32), args.select)
        data_list.append(
            dict(
                img_path=rel,
                gt_label=label,
                ori_shape=record['ori_shape'],
                face_bbox=None if index is None else record['bboxes'][index],
                face_det_bboxes=record['bboxes'],
                face_det_scores=record['scores']))
    metainfo = dict(
        classes=list(CAER_CLASSES),
        face_detection=run_id(args),
        face_select=args.select,
        failed=failed)
    mmengine.dump(dict(metainfo=metainfo, data_list=data_list), args.out)
    os.remove(partial_file)
    no_face = sum(item['face_bbox'] is None for item in data_list)
    print(f'Wrote {args.out}: {len(data_list)} images, {no_face} without '
          'a face (face_bbox: null).')
    if failed:
        print('Failed images are left out (listed in the metainfo\'s '
              '"failed"; a re-run tries them again).')
    exit_if_failed([(item['img_path'], item['error']) for item in failed],
                   'image', len(samples))


if __name__ == '__main__':
    main()
