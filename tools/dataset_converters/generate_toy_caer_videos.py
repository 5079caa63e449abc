"""Generate the built-in toy videos (synthetic clips in the CAER layout).

The label needs the face, the context *and* time (see
``glamor_mm/datasets/toy/caer_videos.py`` for the cues and the table of
best possible accuracies): 144 x 256 frames at 10 fps, 20-32 frames a
video, MJPG AVI, plus ``<split>_tracks.json`` (the true face boxes, in the
format of ``tools/detect_face_tracks.py``).

With ``--mode guided`` the hat on the face names one of three objects
whose flashed marks set the label (``glamor_mm/datasets/toy/guided_videos.py``): 80 x 128
frames.

Examples:
    python tools/dataset_converters/generate_toy_caer_videos.py \
        data/toy_caer_videos
    python tools/dataset_converters/generate_toy_caer_videos.py \
        data/toy_guided_videos --mode guided --num-train-per-class 300
"""
import argparse

from glamor_mm.datasets.toy.caer_videos import (
    DEFAULT_FPS, DEFAULT_MODE_FRAME_SIZE, DEFAULT_NUM_FRAMES,
    DEFAULT_NUM_PER_CLASS, TOY_VIDEO_MODES, generate_toy_caer_videos,
    toy_video_best_accuracy)
from glamor_mm.datasets.toy.guided_videos import guided_video_best_accuracy
from toy_cli import add_toy_arguments, generate_from_args


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Write synthetic face+context+motion clips in the CAER '
        'layout (<split>/<Class>/<clip>.avi + <split>_tracks.json).')
    add_toy_arguments(parser, 'data/toy_caer_videos', DEFAULT_NUM_PER_CLASS,
                      'videos')
    parser.add_argument(
        '--mode',
        choices=TOY_VIDEO_MODES,
        default='cues',
        help="'cues': a face cue, the context objects' shape and their "
        "motion set the label; 'guided': the hat on the face names one of "
        'three objects whose flashed mark sets the label with it '
        "(default 'cues')")
    parser.add_argument(
        '--frame-size',
        type=int,
        nargs=2,
        default=None,
        metavar=('H', 'W'),
        help='frame size (default: ' +
        ', '.join(f'{h} {w} for {mode}'
                  for mode, (h, w) in DEFAULT_MODE_FRAME_SIZE.items()) + ')')
    parser.add_argument(
        '--num-frames',
        type=int,
        nargs=2,
        default=DEFAULT_NUM_FRAMES,
        metavar=('MIN', 'MAX'),
        help='range of frames per video (default '
        f'{DEFAULT_NUM_FRAMES[0]} {DEFAULT_NUM_FRAMES[1]})')
    parser.add_argument(
        '--fps',
        type=float,
        default=DEFAULT_FPS,
        help=f'frame rate (default {DEFAULT_FPS})')
    parser.add_argument(
        '--fourcc',
        default='MJPG',
        help='codec (default MJPG, byte-identical for a seed; e.g. XVID for '
        'MPEG-4 like CAER, through FFmpeg)')
    return parser.parse_args()


def main() -> None:
    """Generate the videos and print what was written."""
    args = parse_args()
    generate_from_args(
        generate_toy_caer_videos,
        args,
        DEFAULT_NUM_PER_CLASS,
        'videos',
        frame_size=args.frame_size and tuple(args.frame_size),
        num_frames=tuple(args.num_frames),
        fps=args.fps,
        fourcc=args.fourcc,
        mode=args.mode)
    if args.mode == 'guided':
        best = guided_video_best_accuracy
        print(f'Best possible accuracy: face+context clip {best():.1%}, '
              'face + the marks without knowing which object '
              f"{best(('face', 'marks')):.1%}, face+context single frame "
              f'{best(single_frame=True):.1%}, face only '
              f"{best(('face', )):.1%}, chance {best(()):.1%}.")
        return
    print('Best possible accuracy: face+context clip '
          f'{toy_video_best_accuracy():.1%}, face+context single frame '
          f"{toy_video_best_accuracy(('face', 'context')):.1%}, context "
          f"clip {toy_video_best_accuracy(('context', 'motion')):.1%}, "
          f"face only {toy_video_best_accuracy(('face', )):.1%}, chance "
          f'{toy_video_best_accuracy(()):.1%}.')


if __name__ == '__main__':
    main()
