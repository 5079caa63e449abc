"""Recognise emotions in a video or a webcam stream.

Every frame goes through :class:`GlamorInferencer` (faces detected, context
encoded once per frame); each face is followed from frame to frame by box
overlap and its scores are smoothed over the frames it is seen in. The
annotated frames are written to a video file and/or shown.

Examples:
    python demo/video_demo.py clip.mp4 CONFIG CKPT --out outputs/clip.mp4
    python demo/video_demo.py 0 CONFIG CKPT --show    # webcam 0
"""
from argparse import ArgumentParser

import cv2

from glamor_mm.apis import FaceScoreTracker
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
    capture = cv2.VideoCapture(source)
    if not capture.isOpened():
        raise SystemExit(f'Cannot open video {args.video!r}.')
    fps = capture.get(cv2.CAP_PROP_FPS) or 25
    inferencer = build_inferencer(args)
    tracker = FaceScoreTracker(alpha=args.alpha, iou_thr=args.iou_thr)
    visualizer = FaceEmotionVisualizer.get_instance('video_demo')
    writer = None
    frames = 0
    while args.max_frames is None or frames < args.max_frames:
        ok, frame = capture.read()
        if not ok:
            break
        faces = tracker.update(inferencer.classify_faces(frame))
        drawing = visualizer.visualize_faces(
            frame[..., ::-1],
            faces,
            classes=inferencer.classes,
            draw_attention=False)[..., ::-1]
        if args.out:
            if writer is None:
                writer = cv2.VideoWriter(args.out,
                                         cv2.VideoWriter_fourcc(*'mp4v'), fps,
                                         (drawing.shape[1], drawing.shape[0]))
            writer.write(drawing)
        if args.show:
            cv2.imshow('GLAMOR-Net', drawing)
            if cv2.waitKey(1) & 0xFF == ord('q'):
                break
        frames += 1
    capture.release()
    if writer is not None:
        writer.release()
        print(f'{frames} frames written to {args.out}')
    if args.show:
        cv2.destroyAllWindows()


if __name__ == '__main__':
    main()
