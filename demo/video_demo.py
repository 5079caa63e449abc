"""Recognise emotions in a video or a webcam stream.

Every frame goes through :class:`GlamorInferencer` (faces detected, context
encoded once per frame); each face is followed from frame to frame by box
overlap and its scores are smoothed over the frames it is seen in. The
annotated frames are written to a video file and/or shown. Frames are read
one at a time; a video file that ends before the frame count of its header
(truncated or corrupt) stops the demo with an error, after writing the frames
read so far. The output folder is created; an output file that OpenCV cannot
write (e.g. an extension without an encoder) is an error before any work.

Examples:
    python demo/video_demo.py clip.mp4 CONFIG CKPT --out outputs/clip.mp4
    python demo/video_demo.py 0 CONFIG CKPT --show    # webcam 0
"""
import itertools
import os
import os.path as osp
from argparse import ArgumentParser

import cv2

from glamor_mm.apis import FaceScoreTracker, read_video_frames
from glamor_mm.visualization import FaceEmotionVisualizer
from inferencer_args import add_inferencer_args, build_inferencer


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
        help='weight of the past frames in the score average (0: none)')
    parser.add_argument(
        '--iou-thr',
        type=float,
        default=0.3,
        help='box IoU to follow a face to the next frame')
    parser.add_argument(
        '--max-frames', type=int, default=None, help='stop after N frames')
    return parser.parse_args()


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
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        writer = cv2.VideoWriter(args.out, cv2.VideoWriter_fourcc(*'mp4v'),
                                 fps, (first.shape[1], first.shape[0]))
        if not writer.isOpened():
            raise SystemExit(f'Cannot write the video {args.out!r} (OpenCV '
                             'has no mp4v encoder for this file type?).')
    inferencer = build_inferencer(args)
    tracker = FaceScoreTracker(alpha=args.alpha, iou_thr=args.iou_thr)
    visualizer = FaceEmotionVisualizer.get_instance('video_demo')
    count, error = 0, None
    try:
        for frame in itertools.chain([first], frames):
            if args.max_frames is not None and count >= args.max_frames:
                break
            faces = tracker.update(inferencer.classify_faces(frame))
            drawing = visualizer.visualize_faces(
                frame[..., ::-1],
                faces,
                classes=inferencer.classes,
                draw_attention=False)[..., ::-1]
            if writer is not None:
                writer.write(drawing)
            if args.show:
                cv2.imshow('GLAMOR-Net', drawing)
                if cv2.waitKey(1) & 0xFF == ord('q'):
                    break
            count += 1
    except OSError as e:  # a truncated video: keep the frames written
        error = e
    if writer is not None:
        writer.release()
        print(f'{count} frames written to {args.out}')
    if args.show:
        cv2.destroyAllWindows()
    if error is not None:
        raise SystemExit(str(error))


if __name__ == '__main__':
    main()
