"""Recognise emotions in a video or a webcam stream, in real time.

Image models (:class:`VideoFaceRecognizer`): the faces are detected on
every ``--detect-every``-th frame (optionally on a copy scaled by
``--det-scale``), followed in between by box overlap and a motion model
(re-detected at once when a detection misses a followed face), all faces of
a frame are classified in one batch with the context encoded once (every
``--classify-every``-th frame), and each face's scores are smoothed over the
frames it is seen in. ``--detect-every 1 --classify-every 1`` is the plain
every-frame pipeline.

Decoding, processing and encoding run in three threads with bounded queues;
every frame is written, in order. With ``--realtime`` (a live camera) frames
are dropped when the processing falls behind, and counted. A progress bar
(a file) or the frame rate (a camera) is shown on the console, then a
summary line ``N frames in S s (F fps)``; the time to load the models is
reported apart.

Frames are read one at a time; a video file that decodes fewer frames than
its header announces (cut, or a header that over-states its length) gives a
warning after its last frame, and only a video of which nothing decodes is
an error. The output is written to a temporary file renamed at the end (a
previous result is replaced only by a complete video); an output that is
the input video, or that OpenCV cannot write, is an error before any work.

With a clip model (a config whose test pipeline samples clips, e.g.
``configs/video/caernet_original3d_1xb32-12e_caer.py``) the demo switches to
its clip mode (:class:`FaceClipTracker`): every frame of the clip rate (10
fps) is sampled, each face is followed from sampled frame to sampled frame,
and its last 16 sampled frames (the config's clip length) are classified as
one clip, a sliding window; a face is labelled once it has been seen in a
whole clip. Frames are streamed and each face keeps only its window, so
memory stays constant whatever the length of the video.

Without a config, the face-only FER2013 model that ``tools/setup_env.sh``
converts into its cache is used (its labels say so).

Examples:
    python demo/video_demo.py clip.mp4 --out outputs/clip.mp4
    python demo/video_demo.py clip.mp4 CONFIG CKPT --out outputs/clip.mp4
    python demo/video_demo.py 0 CONFIG CKPT --show --realtime   # webcam 0
    python demo/video_demo.py clip.mp4 \
        configs/video/caernet_original3d_1xb32-12e_caer.py CKPT --out out.mp4
"""
import itertools
import json
import sys
import time
from argparse import ArgumentParser, Namespace
from typing import Callable, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from mmengine.config import Config

from glamor_mm.apis import (FaceClipTracker, ProgressReporter, StageTimer,
                            VideoFaceRecognizer, VideoFileWriter, has_display,
                            read_video_frames, run_video_pipeline,
                            summary_line)
from glamor_mm.visualization import draw_face_labels
from inferencer_args import (RANDOM_WEIGHTS_WARNING, add_inferencer_args,
                             build_inferencer)

STAGES = ('decode', 'detect', 'track', 'classify', 'draw', 'show', 'encode')


def add_video_args(parser: ArgumentParser) -> None:
    """Add the options of the video pipeline (shared with its benchmark)."""
    parser.add_argument(
        '--detect-every',
        type=int,
        default=5,
        help='run the face detector on every N-th frame; the faces are '
        'followed in between (1: every frame)')
    parser.add_argument(
        '--det-scale',
        type=float,
        default=1.,
        help='detect on a copy of the frame scaled by this factor (faces '
        "must stay larger than the detector's smallest face, 80 px for "
        'dlib HOG)')
    parser.add_argument(
        '--classify-every',
        type=int,
        default=2,
        help='classify the faces on every N-th frame (and on a new face); '
        'the frames in between show the smoothed scores (image models)')
    parser.add_argument(
        '--alpha',
        type=float,
        default=0.7,
        help='weight of the past frames in the score average (0: none; '
        'image models only)')
    parser.add_argument(
        '--iou-thr',
        type=float,
        default=0.3,
        help='box IoU to follow a face to the next (detected) frame')
    parser.add_argument(
        '--max-gap',
        type=int,
        default=2,
        help='detections in a row that may miss a followed face')


def parse_args() -> Namespace:
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('video', help='video file, or a webcam index')
    add_inferencer_args(parser)
    parser.add_argument('--out', default=None, help='output video file')
    parser.add_argument('--show', action='store_true', help='show frames')
    add_video_args(parser)
    parser.add_argument(
        '--clip-stride',
        type=int,
        default=1,
        help='clip mode: sampled frames between two classifications of a '
        "face's window (8: the windows of the dataset's test clips)")
    parser.add_argument(
        '--realtime',
        action='store_true',
        help='drop frames rather than fall behind (live camera); the '
        'dropped frames are counted')
    parser.add_argument(
        '--max-frames', type=int, default=None, help='stop after N frames')
    parser.add_argument(
        '--out-faces',
        default=None,
        help='also write the faces of every frame to this JSON Lines file '
        '(one line per frame: frame, faces with track_id, bbox, label, '
        'score, scores)')
    parser.add_argument(
        '--profile',
        action='store_true',
        help='print the time of each stage (ms per frame and share)')
    return parser.parse_args()


def face_records(faces: Sequence) -> List[dict]:
    """The faces of a frame as plain dicts (``--out-faces``)."""
    return [
        dict(
            track_id=face.metainfo.get('track_id'),
            bbox=[round(float(v), 1) for v in face.metainfo['face_bbox']],
            label=int(face.pred_label),
            score=round(float(face.pred_score[int(face.pred_label)]), 4),
            scores=[round(float(v), 4) for v in face.pred_score])
        for face in faces
    ]


def uses_clips(config: str) -> bool:
    """Whether the classifier config is a clip model's."""
    pipeline = Config.fromfile(config).test_dataloader.dataset.pipeline
    return any(t['type'].split('.')[-1] == 'SampleClipFrames'
               for t in pipeline)


def build_engine(
    args: Namespace, fps: float, timer: StageTimer
) -> Tuple[Callable[[np.ndarray, int], List], Optional[Sequence[str]]]:
    """``(frame, index) -> faces`` of the image or the clip model.

    Returns:
        tuple: The function giving the faces (DataSample with
        ``pred_score`` and metainfo ``face_bbox``, ``track_id``) to draw on
        frame ``index``, and the class names.
    """
    if args.config is None or not uses_clips(args.config):
        recognizer = VideoFaceRecognizer(
            build_inferencer(args),
            detect_every=args.detect_every,
            det_scale=args.det_scale,
            classify_every=args.classify_every,
            alpha=args.alpha,
            iou_thr=args.iou_thr,
            max_gap=args.max_gap,
            timer=timer)
        return recognizer, recognizer.classes
    if args.backend != 'pytorch':
        raise SystemExit('The clip mode runs PyTorch models only.')
    torch.set_num_threads(args.threads)
    if args.checkpoint is None:
        print(RANDOM_WEIGHTS_WARNING, file=sys.stderr)
    tracker = FaceClipTracker(
        args.config,
        args.checkpoint,
        detector=args.detector,
        detector_weights=args.detector_weights,
        device=args.device or 'cpu',
        det_score_thr=args.det_thr,
        partial_load=args.partial_load,
        iou_thr=args.iou_thr,
        max_gap=args.max_gap,
        stride=args.clip_stride,
        timer=timer)
    print(f'Clip mode: the last {tracker.clip_len} frames of each face at '
          f'{tracker.target_fps:g} fps (every {tracker.frame_step(fps):g} '
          f'frames of the video), each window classified every '
          f'{tracker.stride} sampled frame(s).')
    faces, due = [], [0]

    def classify(frame, index):
        # Faces keep the label of their last clip between sampled frames.
        # A sampled frame dropped by --realtime is replaced by the next
        # frame processed, so that the windows have no time gap.
        if index >= due[0]:
            faces[:] = tracker.update(frame)
            due[0] = index + 1
            while not tracker.is_sampled(due[0], fps):
                due[0] += 1
        return faces

    return classify, tracker.classes


def check_display() -> None:
    """Stop with a clear message where ``--show`` cannot open a window."""
    if not has_display():
        raise SystemExit('--show needs a display (DISPLAY is not set); '
                         'use --out to write the video instead.')


def main() -> None:
    args = parse_args()
    if not args.out and not args.show:
        raise SystemExit('Give --out and/or --show.')
    if args.show:
        check_display()
    start = time.perf_counter()
    source = int(args.video) if args.video.isdigit() else args.video
    try:
        frames = read_video_frames(source)
    except OSError as e:
        raise SystemExit(str(e))
    first = next(frames, None)
    if first is None:  # a camera without a frame; a file raises instead
        raise SystemExit(f'No frame could be read from {args.video!r}.')
    fps, total = 25., None
    if isinstance(source, str):
        capture = cv2.VideoCapture(source)
        fps = capture.get(cv2.CAP_PROP_FPS) or fps
        total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) or None
        capture.release()
    if args.max_frames is not None:
        total = min(total or args.max_frames, args.max_frames)
    writer = None
    if args.out:
        try:
            writer = VideoFileWriter(args.out, fps,
                                     (first.shape[1], first.shape[0]), source)
        except (ValueError, OSError) as e:
            raise SystemExit(str(e))
    timer = StageTimer()
    out_faces = open(args.out_faces, 'w') if args.out_faces else None
    try:
        engine, classes = build_engine(args, fps, timer)
        load_seconds = time.perf_counter() - start

        def process(frame: np.ndarray, index: int) -> Optional[np.ndarray]:
            faces = engine(frame, index)
            if out_faces is not None:
                out_faces.write(
                    json.dumps(dict(frame=index, faces=face_records(faces))) +
                    '\n')
            with timer('draw'):
                draw_face_labels(frame, faces, classes)
            if args.show:
                with timer('show'):
                    cv2.imshow('GLAMOR-Net', frame)
                    if cv2.waitKey(1) & 0xFF == ord('q'):
                        return None
            return frame

        stats = run_video_pipeline(
            itertools.islice(
                itertools.chain([first], frames), args.max_frames),
            process,
            writer.write if writer is not None else None,
            realtime=args.realtime,
            timer=timer,
            progress=ProgressReporter(total))
    except BaseException:
        if writer is not None:
            writer.close(keep=False)  # a previous --out stays as it was
        raise
    finally:
        if out_faces is not None:
            out_faces.close()
    if writer is not None:
        writer.close()
        print(f'{stats.frames} frames written to {args.out}')
    if args.show:
        cv2.destroyAllWindows()
    if args.profile:
        print(timer.table(stats.frames, STAGES))
    print(f'Models loaded in {load_seconds:.1f} s')
    print(summary_line(stats))


if __name__ == '__main__':
    main()
