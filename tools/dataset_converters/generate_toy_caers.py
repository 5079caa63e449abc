"""Generate the built-in toy dataset (synthetic CAER-S-layout scenes).

Example:
    python tools/dataset_converters/generate_toy_caers.py data/toy_caers
"""
import argparse
import time

from glamor_mm.datasets.toy_caers import (DEFAULT_IMG_SIZE,
                                          DEFAULT_NUM_PER_CLASS,
                                          generate_toy_caers,
                                          toy_best_accuracy)


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Write synthetic face+context scenes in the CAER-S layout '
        '(<split>/<Class>/<name>.png + <split>.txt face-box lists).')
    parser.add_argument('out_dir', help='output folder, e.g. data/toy_caers')
    for split, num in DEFAULT_NUM_PER_CLASS.items():
        parser.add_argument(
            f'--num-{split}-per-class',
            type=int,
            default=num,
            help=f'images per class in {split}/ (default {num})')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    parser.add_argument(
        '--img-size',
        type=int,
        nargs=2,
        default=DEFAULT_IMG_SIZE,
        metavar=('H', 'W'),
        help=f'scene size (default {DEFAULT_IMG_SIZE[0]} '
        f'{DEFAULT_IMG_SIZE[1]})')
    return parser.parse_args()


def main() -> None:
    """Generate the dataset and print what was written."""
    args = parse_args()
    start = time.time()
    counts = generate_toy_caers(
        args.out_dir,
        num_per_class={
            split: getattr(args, f'num_{split}_per_class')
            for split in DEFAULT_NUM_PER_CLASS
        },
        seed=args.seed,
        img_size=tuple(args.img_size))
    print(f'Wrote {counts} images to {args.out_dir} in '
          f'{time.time() - start:.1f} s.')
    print('Best possible accuracy: face+context '
          f'{toy_best_accuracy():.1%}, face only '
          f"{toy_best_accuracy(('face', )):.1%}, context only "
          f"{toy_best_accuracy(('context', )):.1%}, chance "
          f'{toy_best_accuracy(()):.1%}.')


if __name__ == '__main__':
    main()
