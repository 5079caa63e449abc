# Copyright (c) glamor_mm contributors.
"""Pairwise Stuart–Maxwell tests between prediction dumps (paper Table 5).

Example::

    python tools/test.py CFG_GLA CKPT_GLA --out gla.pkl
    python tools/test.py CFG_CA CKPT_CA --out ca.pkl
    python tools/analysis_tools/stuart_maxwell.py gla.pkl ca.pkl \
        --names w/GLA w/CA --out table5.json

Cell (i, j), i < j, is the p-value of the test between model i and model j;
the diagonal cell (i, i) compares model i with the ground truth.
"""
import argparse
import os.path as osp
from typing import List, Optional, Sequence

import mmengine
import numpy as np

from glamor_mm.evaluation import (PredictionDump, load_prediction_dump,
                                  stuart_maxwell)
from glamor_mm.checkpoint import trust_checkpoint
from analysis_cli import add_trust_dump_argument


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Stuart-Maxwell test of marginal homogeneity between '
        'the prediction dumps of several models on the same test set.')
    parser.add_argument(
        'dumps', nargs='+', help='prediction dumps (tools/test.py --out).')
    parser.add_argument(
        '--names',
        nargs='+',
        help='model names, one per dump '
        '(defaults to the file names).')
    parser.add_argument(
        '--num-classes',
        type=int,
        help='number of classes (defaults to the '
        'length of pred_score in the dumps, else 1 + the largest label).')
    parser.add_argument(
        '--out', help='save the p-value table (and statistics) as .json.')
    add_trust_dump_argument(parser)
    return parser.parse_args(argv)


def check_paired(dumps: List[PredictionDump], paths: List[str]) -> None:
    """Raise if the dumps are not predictions on the same samples."""
    ref, ref_path = dumps[0], paths[0]
    for dump, path in zip(dumps[1:], paths[1:]):
        if len(dump.gt_labels) != len(ref.gt_labels):
            raise ValueError(f'{path} has {len(dump.gt_labels)} samples but '
                             f'{ref_path} has {len(ref.gt_labels)}.')
        if ref.img_paths is not None and dump.img_paths is not None \
                and dump.img_paths != ref.img_paths:
            raise ValueError(f'{path} and {ref_path} list different images '
                             '(or another order).')
        if not np.array_equal(dump.gt_labels, ref.gt_labels):
            raise ValueError(f'{path} and {ref_path} have different '
                             'ground-truth labels.')


def stuart_maxwell_table(dumps: List[PredictionDump],
                         num_classes: int) -> List[List[Optional[dict]]]:
    """Upper-triangular table of test results; diagonal vs ground truth."""
    table = []
    for i, dump_i in enumerate(dumps):
        row = [None] * len(dumps)
        row[i] = stuart_maxwell(dump_i.pred_labels, dump_i.gt_labels,
                                num_classes)._asdict()
        for j in range(i + 1, len(dumps)):
            row[j] = stuart_maxwell(dump_i.pred_labels, dumps[j].pred_labels,
                                    num_classes)._asdict()
        table.append(row)
    return table


def format_table(names: List[str], table: List[List[Optional[dict]]]) -> str:
    """Markdown table of p-values like the paper's Table 5."""
    lines = [
        '| Methods | ' + ' | '.join(names) + ' |',
        '|---' * (len(names) + 1) + '|'
    ]
    for name, row in zip(names, table):
        cells = ['' if c is None else f"{c['p_value']:.3g}" for c in row]
        lines.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    names = args.names or [
        osp.splitext(osp.basename(p))[0] for p in args.dumps
    ]
    if len(names) != len(args.dumps):
        raise ValueError(f'Got {len(names)} names for {len(args.dumps)} '
                         'dumps.')
    if args.trust_dump:
        for path in args.dumps:
            trust_checkpoint(path)
    dumps = [load_prediction_dump(p) for p in args.dumps]
    check_paired(dumps, args.dumps)
    num_classes = args.num_classes or next(
        (d.num_classes for d in dumps if d.num_classes), None) or int(
            max(max(d.pred_labels.max(), d.gt_labels.max())
                for d in dumps)) + 1

    table = stuart_maxwell_table(dumps, num_classes)
    print('Stuart-Maxwell p-values (diagonal: model vs ground truth)')
    print(format_table(names, table))
    if args.out:
        mmengine.dump(
            dict(names=names, num_classes=num_classes, table=table), args.out)
        print(f'Saved to {args.out}')


if __name__ == '__main__':
    main()
