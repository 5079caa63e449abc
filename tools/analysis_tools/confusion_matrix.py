# Copyright (c) glamor_mm contributors.
"""Draw a row-normalised confusion matrix (paper Fig. 7/8) from a dump.

Example::

    python tools/test.py CONFIG CHECKPOINT --out preds.pkl
    python tools/analysis_tools/confusion_matrix.py preds.pkl \
        --out confusion_matrix.png
"""
import argparse
from typing import Optional, Sequence

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from mmpretrain.evaluation import ConfusionMatrix  # noqa: E402

from glamor_mm.datasets.categories import CAER_CLASSES  # noqa: E402
from glamor_mm.evaluation import (add_trust_dump_argument,  # noqa: E402
                                  load_prediction_dump)
from glamor_mm.utils import trust_checkpoint  # noqa: E402


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Plot the confusion matrix of a prediction dump.')
    parser.add_argument('dump', help='prediction dump (tools/test.py --out).')
    parser.add_argument('--out', required=True, help='output image (.png).')
    parser.add_argument(
        '--classes',
        nargs='+',
        default=list(CAER_CLASSES),
        help='class names in label order (defaults to the CAER classes).')
    parser.add_argument(
        '--counts',
        action='store_true',
        help='show raw counts instead of per-true-class rates.')
    parser.add_argument(
        '--cmap', default='Blues', help='matplotlib colour map.')
    parser.add_argument('--title', help='figure title.')
    add_trust_dump_argument(parser)
    return parser.parse_args(argv)


def confusion_rates(matrix: np.ndarray) -> np.ndarray:
    """Normalise each row (true class) to sum to 1; empty rows stay 0."""
    totals = matrix.sum(axis=1, keepdims=True)
    return np.divide(
        matrix, totals, out=np.zeros(matrix.shape), where=totals > 0)


def plot_confusion_matrix(matrix: np.ndarray,
                          classes: Sequence[str],
                          cmap: str = 'Blues',
                          title: Optional[str] = None) -> plt.Figure:
    """Heat map with the value of every cell, true classes as rows."""
    num_classes = len(classes)
    fig, ax = plt.subplots(figsize=(1.1 * num_classes + 2, num_classes + 1))
    image = ax.imshow(matrix, interpolation='nearest', cmap=cmap)
    fig.colorbar(image, ax=ax)
    is_int = np.issubdtype(matrix.dtype, np.integer)
    threshold = (matrix.max() + matrix.min()) / 2
    for i in range(num_classes):
        for j in range(num_classes):
            ax.text(
                j,
                i,
                f'{matrix[i, j]:d}' if is_int else f'{matrix[i, j]:.2f}',
                ha='center',
                va='center',
                color='white' if matrix[i, j] > threshold else 'black')
    ax.set(
        xticks=np.arange(num_classes),
        yticks=np.arange(num_classes),
        xticklabels=classes,
        yticklabels=classes,
        xlabel='Predicted label',
        ylabel='True label',
        title=title or '')
    plt.setp(ax.get_xticklabels(), rotation=45, ha='right')
    fig.tight_layout()
    return fig


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    if args.trust_dump:
        trust_checkpoint(args.dump)
    dump = load_prediction_dump(args.dump)
    num_classes = len(args.classes)
    if dump.num_classes not in (None, num_classes):
        raise ValueError(f'{args.dump} has {dump.num_classes} classes but '
                         f'{num_classes} class names were given.')
    largest = max(dump.pred_labels.max(), dump.gt_labels.max())
    if largest >= num_classes:
        raise ValueError(f'{args.dump} has label {largest} but only '
                         f'{num_classes} class names were given.')
    matrix = ConfusionMatrix.calculate(
        dump.pred_labels, dump.gt_labels, num_classes=num_classes).numpy()
    if not args.counts:
        matrix = confusion_rates(matrix)
    fig = plot_confusion_matrix(matrix, args.classes, args.cmap, args.title)
    fig.savefig(args.out, dpi=150)
    plt.close(fig)
    print(np.array2string(matrix, precision=2))
    print(f'Confusion matrix saved to {args.out}')


if __name__ == '__main__':
    main()
