"""Track the main face of every video of a CAER split; write the tracks file.

Runs an MMDet face detector (``configs/face_detectors/``) over the frames of
every video ``<data-root>/<split>/<Class>/<clip>.avi``, links the
detections of consecutive frames into tracks by box overlap
(:func:`glamor_mm.apis.link_face_tracks`), keeps the main face's track (the
longest, or the most confident with ``--select score``), fills the frames
where it was missed (interpolated between two detections, or the nearest
detection before the first / after the last one; each frame is flagged
``d``, ``i`` or ``e``) and writes the annotation file read by
``CAERDataset`` (format in its docstring)::

    {"metainfo": {"classes": [...], "face_tracks": {...the settings...},
                  "failed": [{"video_path": ..., "error": ...}, ...]},
     "data_list": [{"video_path": "train/Anger/0001.avi", "gt_label": 0,
                    "num_frames": 87, "fps": 25.0, "height": 400,
                    "width": 712, "file_size": 1234567,
                    "face_track": [[x1, y1, x2, y2], ...],
                    "face_track_flags": "dddiid...",
                    "num_detected": 80, "num_tracks": 2}, ...]}

Videos are kept whatever happens, and counted at the end:

- no face in any frame: ``face_track: null`` (``CAERDataset``'s
  ``no_face`` decides);
- a video that cannot be decoded, or on a frame of which the detector
  fails, is left out of ``data_list`` and listed with the reason in the
  metainfo's ``failed`` and on stderr (the dataset refuses to load the split
  while it is on disk, quoting the reason; a re-run tries it again); the tool
  then exits with status 3 once the file is written. Running out of memory,
  or ``--max-consecutive-failures`` videos failing in a row (default 10),
  stops the run with status 1 and without writing ``--out``;
- a video with fewer frames than its header says keeps the frames that
  decode (``num_frames``), with a ``"warning"``.

The work is shared by ``--workers`` processes and resumes like
``tools/detect_faces.py`` (both run
:mod:`glamor_mm.apis.face_detection_runner`): the detections of each
video are appended to ``<out>.partial.jsonl`` as soon as they are known and
a re-run skips those videos and the videos of an existing ``--out`` (both
files record the run's settings: data root, split, detector config and its
hash, checkpoint, thresholds, linking; a re-run with other settings stops
with an error, ``--restart`` starts over). ``--detect-every N`` runs the
detector on every N-th frame only (the others are interpolated).

Example:
    python tools/detect_face_tracks.py configs/face_detectors/dlib_hog.py \\
        --data-root data/caer --split train \\
        --out data/caer/train_tracks.json --workers 2
"""
import argparse
import os
import os.path as osp
from functools import partial
from typing import Dict, List, Tuple

import mmengine
import numpy as np

from glamor_mm.apis import (fill_face_track, link_face_tracks,
                            read_video_frames, select_main_track)
from glamor_mm.apis.face_detection_runner import (check_same_run,
                                                  detect_in_worker,
                                                  load_partial, run_detection)
from glamor_mm.apis.input_failures import failure_reason
from glamor_mm.datasets import CAER_CLASSES, CAERDataset
from glamor_mm.datasets.base_emotion_dataset import VIDEO_EXTENSIONS
from glamor_mm.utils import load_data_file
from face_detection_cli import (add_runner_args, check_out_format, run_id,
                                runner_options)
from input_failures_cli import exit_if_failed


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Track the main face in the videos of a CAER split and '
        'write the face-track file read by CAERDataset')
    parser.add_argument('--data-root', required=True, help='CAER root')
    parser.add_argument(
        '--split', default='train', help='split folder (train, ...)')
    parser.add_argument('--out', required=True, help='output .json file')
    parser.add_argument(
        '--select',
        choices=['length', 'score'],
        default='length',
        help='main face: the longest track or the most confident one')
    parser.add_argument(
        '--iou-thr',
        type=float,
        default=0.3,
        help='box IoU that continues a track')
    parser.add_argument(
        '--max-gap',
        type=int,
        default=10,
        help='frames a track may go without a detection')
    parser.add_argument(
        '--detect-every',
        type=int,
        default=1,
        help='run the detector on every N-th frame')
    add_runner_args(parser)
    # the layout recorded with the run's settings (tools/detect_faces.py)
    parser.set_defaults(layout='caer')
    args = parser.parse_args()
    if args.detect_every < 1:
        parser.error('--detect-every must be >= 1')
    return args


def scan_videos(data_root: str, split: str) -> List[Tuple[str, int]]:
    """List ``(path relative to data_root, label)`` of a CAER split."""
    # The class-folder scan of the datasets (spellings, unknown-class and
    # empty-split errors); lazy_init loads nothing.
    scanner = CAERDataset(ann_file='', split=split, lazy_init=True)
    samples = scanner._scan_class_folders(
        osp.join(data_root, split), VIDEO_EXTENSIONS)
    return [(f'{split}/{rel}', label) for rel, label in samples]


def detection_id(args: argparse.Namespace) -> dict:
    """What the per-frame detections of a run depend on."""
    return dict(run_id(args), detect_every=args.detect_every)


def tracks_id(args: argparse.Namespace) -> dict:
    """What the tracks of a run depend on (checked when resuming)."""
    return dict(
        detection_id(args),
        select=args.select,
        iou_thr=args.iou_thr,
        max_gap=args.max_gap)


def detect_in_video(task: Tuple[str, str], detect_every: int) -> dict:
    """Detect the faces in the frames of one video (one process's detector).

    Frames are decoded one at a time, so memory does not grow with the
    video.

    Args:
        task (tuple[str, str]): ``(relative path, path)`` of the video.
        detect_every (int): Run the detector on every N-th frame.

    Returns:
        dict: ``video_path``, ``file_size`` and either ``error`` or
        ``num_frames``, ``fps``, ``height``, ``width``, ``detections`` (per
        frame ``[boxes, scores]``, or None where not detected) and maybe a
        ``warning``.
    """
    import cv2
    rel_path, path = task
    record = dict(video_path=rel_path, file_size=osp.getsize(path))
    try:
        capture = cv2.VideoCapture(path)
        fps = capture.get(cv2.CAP_PROP_FPS)
        capture.release()
        frames = read_video_frames(path, strict=True)
    except OSError as e:
        return dict(record, error=str(e))
    detections, shape = [], None
    try:
        for index, frame in enumerate(frames):
            shape = frame.shape[:2]
            if index % detect_every:
                detections.append(None)
                continue
            try:
                bboxes, scores = detect_in_worker(frame)
            except Exception as e:
                return dict(
                    record,
                    error=f'face detection failed on frame {index}: '
                    f'{failure_reason(e)}')
            detections.append([[[round(float(v), 2) for v in box]
                                for box in bboxes],
                               [round(float(s), 4) for s in scores]])
    except OSError as e:
        if not detections:
            return dict(record, error=str(e))
        record['warning'] = str(e)
    if not fps or fps <= 0:
        return dict(record, error=f'{path!r}: the video has no frame rate.')
    return dict(
        record,
        num_frames=len(detections),
        fps=round(float(fps), 4),
        height=int(shape[0]),
        width=int(shape[1]),
        detections=detections)


def track_entry(record: dict, label: int, args: argparse.Namespace) -> dict:
    """The annotation entry of a video from its detections."""
    entry = dict(video_path=record['video_path'], gt_label=label)
    entry.update((k, record[k]) for k in ('num_frames', 'fps', 'height',
                                          'width', 'file_size', 'warning')
                 if k in record)
    detections = [
        None if d is None else (np.asarray(d[0], np.float32).reshape(-1, 4),
                                np.asarray(d[1], np.float32))
        for d in record['detections']
    ]
    tracks = link_face_tracks(detections, args.iou_thr, args.max_gap)
    main = select_main_track(tracks, args.select)
    if main is None:
        entry.update(face_track=None, face_track_flags=None, num_detected=0)
    else:
        boxes, flags = fill_face_track(main, record['num_frames'])
        entry.update(
            face_track=np.round(boxes, 2).tolist(),
            face_track_flags=flags,
            num_detected=len(main['frames']))
    entry['num_tracks'] = len(tracks)
    return entry


def load_previous(args: argparse.Namespace,
                  partial_file: str) -> Tuple[Dict[str, dict], dict]:
    """Results of previous runs with the same settings.

    Returns:
        tuple[dict, dict]: Detections of an interrupted run
        (``video_path -> record``; failed videos are left out, to be tried
        again) and the entries of an existing ``--out``
        (``video_path -> entry``).
    """
    check_out_format(args.out)
    if args.restart:
        return {}, {}
    finished = {}
    if osp.isfile(args.out):
        ann = load_data_file(args.out)
        check_same_run(
            tracks_id(args),
            ann.get('metainfo', {}).get('face_tracks', {}), args.out)
        finished = {e['video_path']: e for e in ann['data_list']}
    return load_partial(
        partial_file, detection_id(args), key='video_path'), finished


def main() -> None:
    args = parse_args()
    samples = scan_videos(args.data_root, args.split)
    partial_file = args.out + '.partial.jsonl'
    records, finished = load_previous(args, partial_file)
    # a finished entry is reused only for the same, unchanged file
    finished = {
        rel: finished[rel]
        for rel, _ in samples
        if rel in finished and finished[rel].get('file_size') == osp.getsize(
            osp.join(args.data_root, rel))
    }
    tasks = [(rel, osp.join(args.data_root, rel)) for rel, _ in samples
             if rel not in records and rel not in finished]
    print(f'{len(samples)} videos, {len(samples) - len(tasks)} already '
          f'done, detecting faces in {len(tasks)}')
    mmengine.mkdir_or_exist(osp.dirname(osp.abspath(args.out)))
    records.update(
        run_detection(
            tasks,
            partial_file,
            ident=detection_id(args),
            work=partial(detect_in_video, detect_every=args.detect_every),
            key='video_path',
            kind='video',
            **runner_options(args)))

    data_list, failed = [], []
    for rel, label in samples:
        if rel in finished:
            data_list.append(finished[rel])
        elif 'error' in records[rel]:
            failed.append(dict(video_path=rel, error=records[rel]['error']))
        else:
            data_list.append(track_entry(records[rel], label, args))
    metainfo = dict(
        classes=list(CAER_CLASSES), face_tracks=tracks_id(args), failed=failed)
    mmengine.dump(dict(metainfo=metainfo, data_list=data_list), args.out)
    os.remove(partial_file)
    no_face = sum(not e['face_track'] for e in data_list)
    short = sum('warning' in e for e in data_list)
    print(f'Wrote {args.out}: {len(data_list)} videos, {no_face} without a '
          f'face (face_track: null), {short} shorter than their header '
          '("warning").')
    if failed:
        print('Failed videos are left out (listed in the metainfo\'s '
              '"failed"; a re-run tries them again).')
    exit_if_failed([(item['video_path'], item['error']) for item in failed],
                   'video', len(samples))


if __name__ == '__main__':
    main()
