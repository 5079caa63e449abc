"""Recognise emotions in a video or a webcam stream.

Every frame goes through :class:`GlamorInferencer` (faces detected, context
encoded once per frame); each face is followed from frame to frame by box
overlap and its scores are smoothed over the frames it is seen in. The
annotated frames are written to a video file and/or shown. Frames are read
one at a time; a video file that decodes fewer frames than its header
announces (cut, or a header that over-states its length) gives a warning after
its last frame, and only a video of which nothing decodes is an error. The
output folder is created; an output file that OpenCV cannot write (e.g. an
extension without an encoder) is an error before any work.

With a clip model (a config whose test pipeline samples clips, e.g.
``configs/video/caernet_original3d_1xb32-12e_caer.py``) the demo switches to
its clip mode (:class:`FaceClipTracker`): every frame of the clip rate (10
fps) is sampled, each face is followed from sampled frame to sampled frame,
and its last 16 sampled frames (the config's clip length) are classified as
one clip, a sliding window; a face is labelled once it has been seen in a
whole clip. Frames are streamed and each face keeps only its window, so
memory stays constant whatever the length of the video.

Examples:
    python demo/video_demo.py clip.mp4 CONFIG CKPT --out outputs/clip.mp4
    python demo/video_demo.py 0 CONFIG CKPT --show    # webcam 0
    python demo/video_demo.py clip.mp4 \
        configs/video/caernet_original3d_1xb32-12e_caer.py CKPT --out out.mp4
"""
import itertools
import sys
from argparse import ArgumentParser
from typing import Callable, Sequence, Tuple

import cv2
import torch
from mmengine.config import Config

from glamor_mm.apis import (FaceClipTracker, FaceScoreTracker, VideoFileWriter,
                            read_video_frames)
from glamor_mm.visualization import FaceEmotionVisualizer
from inferencer_args import (RANDOM_WEIGHTS_WARNING, add_inferencer_args,
                             build_inferencer)


def parse_args():
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('video', help='video file, or a webcam index')
    add_inferencer_args(parser)
    parser.add_argument('--out', default=None, help='output video file')
    parser.add_argument('--show', action='store_true', help='show frames')
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
        help='box IoU to follow a face to the next (sampled) frame')
    parser.add_argument(
        '--max-frames', type=int, default=None, help='stop after N frames')
    return parser.parse_args()


def uses_clips(config: str) -> bool:
    """Whether the classifier config is a clip model's."""
    pipeline = Config.fromfile(config).test_dataloader.dataset.pipeline
    return any(t['type'].split('.')[-1] == 'SampleClipFrames'
               for t in pipeline)


def build_classifier(args, fps: float) -> Tuple[Callable, Sequence[str]]:
    """``(frame, index) -> faces`` of the image or the clip model.

    Returns:
        tuple: The function giving the faces (DataSample with
        ``pred_score`` and metainfo ``face_bbox``, ``track_id``) to draw on
        frame ``index``, and the class names.
    """
    if not uses_clips(args.config):
        inferencer = build_inferencer(args)
        tracker = FaceScoreTracker(alpha=args.alpha, iou_thr=args.iou_thr)
        return (lambda frame, _: tracker.update(
            inferencer.classify_faces(frame))), inferencer.classes
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
        iou_thr=args.iou_thr)
    print(f'Clip mode: the last {tracker.clip_len} frames of each face at '
          f'{tracker.target_fps:g} fps (every {tracker.frame_step(fps):g} '
          'frames of the video).')
    faces = []

    def classify(frame, index):
        # faces keep the label of their last clip between sampled frames
        if tracker.is_sampled(index, fps):
            faces[:] = tracker.update(frame)
        return faces

    return classify, tracker.classes


def main():
    args = parse_args()
    if not args.out and not args.show:
        raise SystemExit('Give --out and/or --show.')
    source = int(args.video) if args.video.isdigit() else args.video
    try:
        frames = read_video_frames(source)
    except OSError as e:
        raise SystemExit(str(e))
    first = next(frames, None)
    if first is None:  # a camera without a frame; a file raises instead
        raise SystemExit(f'No frame could be read from {args.video!r}.')
    fps = 25.
    if isinstance(source, str):
        fps = cv2.VideoCapture(source).get(cv2.CAP_PROP_FPS) or fps
    writer = None
    if args.out:
        try:
            writer = VideoFileWriter(args.out, fps,
                                     (first.shape[1], first.shape[0]), source)
        except (ValueError, OSError) as e:
            raise SystemExit(str(e))
    classify, classes = build_classifier(args, fps)
    visualizer = FaceEmotionVisualizer.get_instance('video_demo')
    count = 0
    try:
        for frame in itertools.chain([first], frames):
            if args.max_frames is not None and count >= args.max_frames:
                break
            faces = classify(frame, count)
            drawing = visualizer.visualize_faces(
                frame[..., ::-1], faces, classes=classes,
                draw_attention=False)[..., ::-1]
            if writer is not None:
                writer.write(drawing)
            if args.show:
                cv2.imshow('GLAMOR-Net', drawing)
                if cv2.waitKey(1) & 0xFF == ord('q'):
                    break
            count += 1
    except BaseException:
        if writer is not None:
            writer.close(keep=False)  # a previous --out stays as it was
        raise
    if writer is not None:
        writer.close()
        print(f'{count} frames written to {args.out}')
    if args.show:
        cv2.destroyAllWindows()


if __name__ == '__main__':
    main()
