"""Command-line options the toy data generators share.

A module beside the tools, not in ``glamor_mm``: running
``python tools/dataset_converters/<tool>.py`` puts this folder first on
``sys.path``, so the tools import it as ``toy_cli``.
"""
import argparse
import time
from typing import Callable, Dict, Iterable


def add_toy_arguments(parser: argparse.ArgumentParser, out_dir_example: str,
                      num_per_class: Dict[str, int], unit: str) -> None:
    """Add ``out_dir``, ``--num-<split>-per-class`` and ``--seed``.

    Args:
        parser (argparse.ArgumentParser): The generator tool's parser.
        out_dir_example (str): E.g. ``'data/toy_caers'``, for the help.
        num_per_class (dict[str, int]): Default samples per class of each
            split.
        unit (str): What a sample is, plural (``'images'``), for the help.
    """
    parser.add_argument(
        'out_dir', help=f'output folder, e.g. {out_dir_example}')
    for split, num in num_per_class.items():
        parser.add_argument(
            f'--num-{split}-per-class',
            type=int,
            default=num,
            help=f'{unit} per class in {split}/ (default {num})')
    parser.add_argument('--seed', type=int, default=0, help='random seed')


def generate_from_args(generate: Callable[..., Dict[str, int]],
                       args: argparse.Namespace, splits: Iterable[str],
                       unit: str, **kwargs) -> Dict[str, int]:
    """Run a generator on the arguments of :func:`add_toy_arguments` and
    print what it wrote and how long it took.

    Args:
        generate (Callable[..., dict[str, int]]): Called as
            ``generate(out_dir, num_per_class=..., seed=..., **kwargs)``.
        args (argparse.Namespace): The parsed command line.
        splits (Iterable[str]): The splits of ``--num-<split>-per-class``.
        unit (str): What a sample is, plural (``'images'``).
        **kwargs: The generator's other arguments.

    Returns:
        dict[str, int]: What ``generate`` returns, the samples per split.
    """
    start = time.time()
    counts = generate(
        args.out_dir,
        num_per_class={
            split: getattr(args, f'num_{split}_per_class')
            for split in splits
        },
        seed=args.seed,
        **kwargs)
    print(f'Wrote {counts} {unit} to {args.out_dir} in '
          f'{time.time() - start:.1f} s.')
    return counts
