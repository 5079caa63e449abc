"""Command-line options the face-detection tools share.

``tools/detect_faces.py`` and ``tools/detect_face_tracks.py`` run
:func:`glamor_mm.apis.face_detection_runner.run_detection`; this module beside
them (``python tools/<tool>.py`` puts ``tools/`` first on ``sys.path``) adds
the runner's options to their parsers and turns them into its arguments.
"""
import argparse
import hashlib
import os.path as osp

from input_failures_cli import add_failure_argument


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


def runner_options(args: argparse.Namespace) -> dict:
    """The keyword arguments of ``run_detection`` given by the options of
    :func:`add_runner_args`."""
    return dict(
        config=args.config,
        checkpoint=args.checkpoint,
        device=args.device,
        score_thr=args.score_thr,
        workers=args.workers,
        restart=args.restart,
        max_consecutive_failures=args.max_consecutive_failures)


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


def check_out_format(out: str) -> None:
    """Refuse an ``--out`` that is not JSON (before reading it to resume).

    An annotation file is data: a ``.pkl`` or ``.yaml`` one would be
    written with a format that can run code when it is read back.
    """
    if not out.lower().endswith('.json'):
        raise SystemExit(f'--out {out}: annotation files are written as '
                         'JSON; give a file name ending in .json.')
