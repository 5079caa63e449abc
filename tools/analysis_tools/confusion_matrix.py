# Copyright (c) glamor_mm contributors.
"""Draw a row-normalised confusion matrix (paper Fig. 7/8) from a dump.

Rates are shown as whole percentages, ``--counts`` shows the raw counts.

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
import torch  # noqa: E402
from mmpretrain.evaluation import ConfusionMatrix  # noqa: E402

from glamor_mm.datasets.categories import CAER_CLASSES  # noqa: E402
from glamor_mm.evaluation import load_prediction_dump  # noqa: E402
from glamor_mm.checkpoint import trust_checkpoint  # noqa: E402
from analysis_cli import add_trust_dump_argument  # noqa: E402


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
    """MMPretrain's confusion-matrix figure with the value of every cell.

    Args:
        matrix (np.ndarray): Counts (integers) or per-true-class rates in
            [0, 1], shape (C, C), true classes as rows. Rates are written in
            the cells as whole percentages.
        classes (Sequence[str]): The C class names.
        cmap (str): Matplotlib colour map. Defaults to 'Blues'.
        title (str, optional): Figure title.

    Returns:
        plt.Figure: The figure.
    """
    if not np.issubdtype(matrix.dtype, np.integer):
        matrix = np.rint(matrix * 100)
    fig = ConfusionMatrix.plot(
        torch.from_numpy(matrix.astype(np.int64)),
        include_values=True,
        cmap=cmap,
        classes=list(classes),
        show=False)
    if title:
        fig.axes[0].set_title(title)
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
