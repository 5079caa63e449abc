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
is timed too, and with ``--bf16`` PyTorch under bfloat16 autocast (for a
CPU with AVX-512 BF16 or AMX).

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
from typing import Callable, Dict, NamedTuple, Optional, Sequence

import torch
from mmengine.analysis import FlopAnalyzer
from mmengine.config import Config
from mmpretrain.registry import MODELS

import glamor_mm  # noqa: F401  (registers the models)
from glamor_mm.deployment import (FaceOnnxModule, OnnxRuntimeClassifier,
                                  TwoViewOnnxModule, export_face_onnx,
                                  export_onnx, pipeline_view_shapes)
from glamor_mm.deployment.quantization import quantize_int8, split_views
from glamor_mm.utils import (interleaved_rounds, matmul_gflops, medians,
                             throughput)
from glamor_mm.checkpoint import load_checkpoint_checked
from analysis_cli import (add_cfg_options_argument, add_rounds_arguments,
                          format_rounds, gflops_cells, load_config,
                          markdown_table)

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from model_complexity import analyze  # noqa: E402


class Backends(NamedTuple):
    """What :func:`build_backends` returns (see there)."""
    model: torch.nn.Module
    module: torch.nn.Module
    runtimes: Dict[str, OnnxRuntimeClassifier]
    view_shapes: Dict[str, tuple]


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
        '--bf16',
        action='store_true',
        help='also time PyTorch under bfloat16 autocast (for CPUs with '
        'AVX-512 BF16 or AMX)')
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
    add_cfg_options_argument(parser)
    return parser.parse_args()


def build_backends(cfg: Config,
                   config_name: str,
                   threads: int,
                   checkpoint: Optional[str] = None,
                   face_shape: Sequence[int] = (3, 96, 96),
                   int8: bool = False,
                   calib_split: str = 'train',
                   calib_samples: int = 64) -> Backends:
    """Build the PyTorch model and its ONNX Runtime sessions.

    The model (random weights, or ``checkpoint``) is exported to ONNX in a
    temporary folder and loaded by ONNX Runtime with ``threads`` intra-op
    threads; with ``int8`` also its statically quantized model.

    Args:
        cfg (Config): The model config (``default_scope`` initialised).
        config_name (str): The config's file, for error messages.
        threads (int): ONNX Runtime's intra-op threads.
        checkpoint (str, optional): Weights. Defaults to None (random).
        face_shape (Sequence[int]): ``(C, H, W)`` of a face-only model's
            input. Defaults to ``(3, 96, 96)``.
        int8 (bool): Also quantize to INT8. Defaults to False.
        calib_split (str): Data split INT8 calibrates on. Defaults to
            ``'train'``.
        calib_samples (int): Samples INT8 calibrates on. Defaults to 64.

    Returns:
        Backends: The model, its PyTorch inference module, the sessions
        (``'onnxruntime'`` and ``'onnxruntime int8'``) and the packed view
        shapes (``'face'``, ``'context'``: ``(C, H, W)``).
    """
    torch.manual_seed(0)
    model = MODELS.build(
        dict(cfg.model, data_preprocessor=cfg.get('data_preprocessor')))
    if checkpoint:
        load_checkpoint_checked(model, checkpoint, opt_in=None)
    face_only = not hasattr(model, 'predict_faces')
    module = (FaceOnnxModule if face_only else TwoViewOnnxModule)(
        model.eval()).eval()
    with tempfile.TemporaryDirectory() as tmp:
        onnx_file = osp.join(tmp, 'model.onnx')
        if face_only:
            export_face_onnx(model, onnx_file, face_shape=face_shape)
        else:
            export_onnx(model, onnx_file, *pipeline_view_shapes(cfg))
        runtimes = dict(onnxruntime=onnx_file)
        if int8:
            if face_only:
                raise ValueError(f'{config_name}: --int8 takes two-view '
                                 'models; this one classifies face crops.')
            runtimes['onnxruntime int8'] = osp.join(tmp, 'int8.onnx')
            quantize_int8(
                onnx_file, runtimes['onnxruntime int8'],
                split_views(cfg, calib_split, calib_samples,
                            config_name=config_name))
        runtimes = {
            name: OnnxRuntimeClassifier(path, num_threads=threads)
            for name, path in runtimes.items()
        }
    return Backends(model, module, runtimes,
                    runtimes['onnxruntime'].view_shapes)


def backend_measures(backends: Backends,
                     batch_sizes: Sequence[int],
                     seconds: float,
                     bf16: bool = False) -> Dict[str, Callable[[], float]]:
    """Throughput measures of every backend at every batch size.

    A measure makes one untimed call, then calls for ``seconds`` on random
    uint8 views of ``batch_size`` samples (preprocessing included).

    Args:
        backends (Backends): What :func:`build_backends` built.
        batch_sizes (Sequence[int]): Samples a call.
        seconds (float): Timed seconds a measure.
        bf16 (bool): Also time PyTorch under bfloat16 autocast
            (``'pytorch bf16'``). Defaults to False.

    Returns:
        dict[str, Callable[[], float]]: Per ``'<backend>, batch <N>'``
        (``'pytorch'``, ``'pytorch bf16'`` and the session names), a
        function returning images/s, for
        :func:`glamor_mm.utils.interleaved_rounds`.
    """
    measures = {}
    timing = dict(min_seconds=seconds, warmup_calls=1)
    gen = torch.Generator().manual_seed(0)
    for batch_size in batch_sizes:
        views = tuple(
            torch.randint(
                0,
                256, (batch_size, *backends.view_shapes[view]),
                dtype=torch.uint8,
                generator=gen) for view in ('face', 'context')
            if view in backends.view_shapes)
        arrays = [view.numpy() for view in views] + [None] * (2 - len(views))

        def run_torch(views=views, bf16=False):
            with torch.no_grad(), torch.autocast(
                    'cpu', dtype=torch.bfloat16, enabled=bf16):
                backends.module(*views)

        measures[f'pytorch, batch {batch_size}'] = partial(
            throughput, run_torch, batch_size, **timing)
        if bf16:
            measures[f'pytorch bf16, batch {batch_size}'] = partial(
                throughput, partial(run_torch, bf16=True), batch_size,
                **timing)
        for name, runtime in backends.runtimes.items():
            measures[f'{name}, batch {batch_size}'] = partial(
                throughput, partial(runtime.run, *arrays), batch_size,
                **timing)
    return measures


def main() -> Dict[str, float]:
    """Time both backends and print a table.

    Returns:
        dict[str, float]: Median images/s per ``'<backend>, batch <N>'``.
    """
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options)
    torch.set_num_threads(args.threads)
    backends = build_backends(cfg, args.config, args.threads,
                              args.checkpoint, args.face_shape, args.int8,
                              args.calib_split, args.calib_samples)
    model, view_shapes = backends.model, backends.view_shapes
    face_only = not hasattr(model, 'predict_faces')
    measures = backend_measures(backends, args.batch_sizes, args.seconds,
                                args.bf16)
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
