"""Compare the inference speed of PyTorch and ONNX Runtime for a config.

The model (random weights, or ``--checkpoint``) is exported to ONNX once
(``glamor_mm.deployment.export_onnx``), then both backends classify random
uint8 views, data preprocessing included, at each ``--batch-sizes`` (a
batch of N samples, each with its own context). The backends run in
interleaved rounds in one process, with the same number of threads, so
that a busy machine slows them alike; the table shows the median.

A face-only classifier (an ``ImageClassifier`` such as the FER2013
mini-Xception) is timed on faces alone (``--face-shape``, e.g. 1 64 64).

Examples (the README's numbers):
    python tools/analysis_tools/benchmark_inference.py \\
        configs/glamor/glamor_original_1xb32-12e_toy.py --threads 1
    python tools/analysis_tools/benchmark_inference.py \\
        configs/baselines/mini-xception_fer2013_face.py --face-shape 1 64 64 \\
        --threads 1
"""
import argparse
import os.path as osp
import tempfile
from functools import partial
from typing import Dict

import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

import glamor_mm  # noqa: F401  (registers the models)
from glamor_mm.deployment import (FaceOnnxModule, OnnxRuntimeClassifier,
                                  TwoViewOnnxModule, export_face_onnx,
                                  export_onnx)
from glamor_mm.utils import (add_rounds_arguments, format_rounds,
                             interleaved_rounds, markdown_table, medians,
                             throughput)
from glamor_mm.checkpoint import load_checkpoint_checked


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Images/s of PyTorch and ONNX Runtime inference.')
    parser.add_argument('config', help='model config')
    parser.add_argument(
        '--checkpoint', default=None, help='weights (default: random)')
    parser.add_argument(
        '--batch-sizes',
        type=int,
        nargs='+',
        default=[1, 32],
        help='default 1 32')
    parser.add_argument(
        '--face-shape',
        type=int,
        nargs=3,
        default=[3, 96, 96],
        metavar=('C', 'H', 'W'),
        help='packed face view (default 3 96 96)')
    parser.add_argument(
        '--seconds',
        type=float,
        default=2.,
        help='time per backend, batch size and round (default 2)')
    add_rounds_arguments(parser, rounds=3, threads='threads of both backends')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as in tools/train.py')
    return parser.parse_args()


def main() -> Dict[str, float]:
    """Time both backends and print a table.

    Returns:
        dict[str, float]: Median images/s per ``'<backend>, batch <N>'``.
    """
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = MODELS.build(
        dict(cfg.model, data_preprocessor=cfg.get('data_preprocessor')))
    if args.checkpoint:
        load_checkpoint_checked(model, args.checkpoint, opt_in=None)
    face_only = not hasattr(model, 'predict_faces')
    if face_only:
        module, export = FaceOnnxModule(model.eval()).eval(), export_face_onnx
    else:
        module, export = TwoViewOnnxModule(model.eval()).eval(), export_onnx
    with tempfile.TemporaryDirectory() as tmp:
        onnx_file = osp.join(tmp, 'model.onnx')
        export(model, onnx_file, face_shape=args.face_shape)
        runtime = OnnxRuntimeClassifier(onnx_file, num_threads=args.threads)

    measures = {}
    # a round: one untimed call, then calls for ``--seconds``
    timing = dict(min_seconds=args.seconds, warmup_calls=1)
    gen = torch.Generator().manual_seed(0)
    for batch_size in args.batch_sizes:
        face = torch.randint(
            0,
            256, (batch_size, *args.face_shape),
            dtype=torch.uint8,
            generator=gen)
        context = None if face_only else torch.randint(
            0,
            256, (batch_size, 3, 112, 112),
            dtype=torch.uint8,
            generator=gen)
        views = (face, ) if face_only else (face, context)
        arrays = (face.numpy(), None if face_only else context.numpy())

        def run_torch(views=views):
            with torch.no_grad():
                module(*views)

        measures[f'pytorch, batch {batch_size}'] = partial(
            throughput, run_torch, batch_size, **timing)
        measures[f'onnxruntime, batch {batch_size}'] = partial(
            throughput,
            lambda arrays=arrays: runtime.run(*arrays),
            batch_size,
            **timing)
    rounds = interleaved_rounds(measures, args.rounds)
    rates = medians(rounds.results)
    print(f'{args.config}: inference incl. preprocessing, '
          f'{args.threads} thread(s), median of {args.rounds} rounds; '
          f'{rounds.load}')
    print(
        markdown_table(
            ('backend', 'images/s', 'rounds'),
            [(name, f'{rate:.1f}', format_rounds(rounds.results[name]))
             for name, rate in rates.items()], 'lrl'))
    return rates


if __name__ == '__main__':
    main()
