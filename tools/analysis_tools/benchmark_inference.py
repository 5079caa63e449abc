"""Compare the inference speed of PyTorch and ONNX Runtime for a config.

The model (random weights, or ``--checkpoint``) is exported to ONNX once
(``glamor_mm.deployment.export_onnx``), then both backends classify random
uint8 views, data preprocessing included, at each ``--batch-sizes`` (a
batch of N samples, each with its own context). The table also shows the
achieved GFLOP/s (the forward FLOPs counted by ``model_complexity.py``,
2 per multiply-add; the INT8 model does the same operations) against the
GFLOP/s of a float32 matrix product measured in the same rounds with the
same threads (:func:`glamor_mm.utils.matmul_gflops`). The backends run in
interleaved rounds in one process, with the same number of threads, so
that a busy machine slows them alike; the table shows the median.

With ``--int8`` the INT8 model (as ``pytorch2onnx.py --int8`` writes it,
calibrated on ``--calib-samples`` samples of the config's ``--calib-split``)
is timed too.

Example (the README's numbers):
    python tools/analysis_tools/benchmark_inference.py \\
        configs/glamor/glamor_original_1xb32-12e_toy.py --threads 1 --int8

A face-only classifier (an ``ImageClassifier`` such as the FER2013
mini-Xception) is timed on faces alone (``--face-shape``, e.g. 1 64 64):
    python tools/analysis_tools/benchmark_inference.py \\
        configs/baselines/mini-xception_fer2013_face.py --face-shape 1 64 64 \\
        --threads 1
"""
import argparse
import os.path as osp
import sys
import tempfile
from functools import partial
from typing import Dict

import torch
from mmengine.analysis import FlopAnalyzer
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

import glamor_mm  # noqa: F401  (registers the models)
from glamor_mm.deployment import (FaceOnnxModule, OnnxRuntimeClassifier,
                                  TwoViewOnnxModule, export_face_onnx,
                                  export_onnx, pipeline_view_shapes)
from glamor_mm.deployment.quantization import quantize_int8, split_views
from glamor_mm.utils import (interleaved_rounds, matmul_gflops, medians,
                             throughput)
from glamor_mm.checkpoint import load_checkpoint_checked
from analysis_cli import (add_rounds_arguments, format_rounds, gflops_cells,
                          markdown_table)

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from model_complexity import analyze  # noqa: E402


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
        '--int8',
        action='store_true',
        help='also time the statically quantized ONNX model')
    parser.add_argument(
        '--calib-split',
        default='train',
        choices=('train', 'val', 'test'),
        help='data split that --int8 calibrates on (default train)')
    parser.add_argument(
        '--calib-samples',
        type=int,
        default=64,
        help='samples that --int8 calibrates on (default 64)')
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
    module = (FaceOnnxModule if face_only else TwoViewOnnxModule)(
        model.eval()).eval()
    with tempfile.TemporaryDirectory() as tmp:
        onnx_file = osp.join(tmp, 'model.onnx')
        if face_only:
            export_face_onnx(model, onnx_file, face_shape=args.face_shape)
        else:
            export_onnx(model, onnx_file, *pipeline_view_shapes(cfg))
        runtimes = dict(onnxruntime=onnx_file)
        if args.int8:
            if face_only:
                raise ValueError(f'{args.config}: --int8 takes two-view '
                                 'models; this one classifies face crops.')
            runtimes['onnxruntime int8'] = osp.join(tmp, 'int8.onnx')
            quantize_int8(
                onnx_file, runtimes['onnxruntime int8'],
                split_views(cfg, args.calib_split, args.calib_samples,
                            config_name=args.config))
        runtimes = {
            name: OnnxRuntimeClassifier(path, num_threads=args.threads)
            for name, path in runtimes.items()
        }
    view_shapes = runtimes['onnxruntime'].view_shapes

    measures = {}
    # a round: one untimed call, then calls for ``--seconds``
    timing = dict(min_seconds=args.seconds, warmup_calls=1)
    gen = torch.Generator().manual_seed(0)
    for batch_size in args.batch_sizes:
        views = tuple(
            torch.randint(
                0,
                256, (batch_size, *view_shapes[view]),
                dtype=torch.uint8,
                generator=gen) for view in ('face', 'context')
            if view in view_shapes)
        arrays = [view.numpy() for view in views] + [None] * (2 - len(views))

        def run_torch(views=views):
            with torch.no_grad():
                module(*views)

        measures[f'pytorch, batch {batch_size}'] = partial(
            throughput, run_torch, batch_size, **timing)
        for name, runtime in runtimes.items():
            measures[f'{name}, batch {batch_size}'] = partial(
                throughput, partial(runtime.run, *arrays), batch_size,
                **timing)
    measures['fp32 matmul'] = matmul_gflops
    rounds = interleaved_rounds(measures, args.rounds)
    rates = medians(rounds.results)
    peak = rates.pop('fp32 matmul')
    if face_only:
        gflop = 2 * FlopAnalyzer(
            model, torch.zeros(1, *view_shapes['face'])).total() / 1e9
    else:
        gflop = 2 * analyze(model, view_shapes['face'][1:], view_shapes[
            'context'][1:])['total']['flops'] / 1e9
    print(f'{args.config}: inference incl. preprocessing, '
          f'{args.threads} thread(s), median of {args.rounds} rounds; '
          f'{rounds.load}')
    print(f'FP32 matmul (1024^2): {peak:.1f} GFLOP/s; forward: '
          f'{gflop:.3f} GFLOP an image')
    print(
        markdown_table(
            ('backend', 'images/s', 'GFLOP/s', 'of FP32 matmul', 'rounds'),
            [(name, f'{rate:.1f}', *gflops_cells(rate, gflop, peak),
              format_rounds(rounds.results[name]))
             for name, rate in rates.items()], 'lrrrl'))
    return rates


if __name__ == '__main__':
    main()
