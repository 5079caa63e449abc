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
import os
import os.path as osp
from typing import Dict, List, Tuple

import mmengine
import numpy as np

from glamor_mm.apis import select_face
from glamor_mm.apis.face_detection_runner import (check_same_run, load_partial,
                                                  run_detection)
from glamor_mm.datasets.categories import CAER_CLASSES
from glamor_mm.datasets.emotion_annotation_dataset import \
    EmotionAnnotationDataset
from glamor_mm.utils import load_data_file
from face_detection_cli import (add_runner_args, check_out_format, run_id,
                                runner_options)
from input_failures_cli import exit_if_failed

LAYOUTS = {
    'caers': '{split}',
    'ncaers': 'images/{split}',
    'folder': '',
}


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
    done.update(
        run_detection(
            tasks, partial_file, ident=run_id(args), **runner_options(args)))

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
