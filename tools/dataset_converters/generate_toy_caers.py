"""Generate the built-in toy dataset (synthetic CAER-S-layout scenes).

Examples:
    python tools/dataset_converters/generate_toy_caers.py data/toy_caers
    python tools/dataset_converters/generate_toy_caers.py data/toy_guided \
        --mode guided --num-train-per-class 150 --num-val-per-class 20 \
        --num-test-per-class 60
"""
import argparse

from glamor_mm.datasets.toy.caers import (DEFAULT_MODE_IMG_SIZE,
                                          DEFAULT_NUM_PER_CLASS, TOY_MODES,
                                          generate_toy_caers,
                                          guided_best_accuracy,
                                          toy_best_accuracy)
from toy_cli import add_toy_arguments, generate_from_args


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Write synthetic face+context scenes in the CAER-S layout '
        '(<split>/<Class>/<name>.png + <split>.txt face-box lists).')
    add_toy_arguments(parser, 'data/toy_caers', DEFAULT_NUM_PER_CLASS,
                      'images')
    parser.add_argument(
        '--mode',
        choices=TOY_MODES,
        default='cues',
        help="'cues': a face cue and a context cue set the label; 'guided': "
        'the face names one of four coloured objects whose shape sets the '
        "label with the face cue (default 'cues')")
    parser.add_argument(
        '--img-size',
        type=int,
        nargs=2,
        default=None,
        metavar=('H', 'W'),
        help='scene size (default: ' +
        ', '.join(f'{h} {w} for {mode}'
                  for mode, (h, w) in DEFAULT_MODE_IMG_SIZE.items()) + ')')
    return parser.parse_args()


def main() -> None:
    """Generate the dataset and print what was written."""
    args = parse_args()
    generate_from_args(
        generate_toy_caers,
        args,
        DEFAULT_NUM_PER_CLASS,
        'images',
        img_size=args.img_size and tuple(args.img_size),
        mode=args.mode)
    best = dict(cues=toy_best_accuracy, guided=guided_best_accuracy)[args.mode]
    message = ('Best possible accuracy: face+context '
               f'{best():.1%}, face only '
               f"{best(('face', )):.1%}, context only "
               f"{best(('context', )):.1%}")
    if args.mode == 'guided':
        message += (', face + the marks without knowing which object '
                    f"{best(('face', 'marks')):.1%}")
    print(f'{message}, chance {best(()):.1%}.')


if __name__ == '__main__':
    main()
