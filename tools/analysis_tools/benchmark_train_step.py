"""Measure the images/s (clips/s) of a config's training step, in variants.

One training step is what the runner does per iteration:
``model.train_step(batch, optim_wrapper)`` (data preprocessor, forward,
loss, backward, optimizer step) on a batch of random uint8 images, or of
clips with ``--clip-len`` (one clip per video, as in training), without
data loading. The variants are measured in interleaved rounds in one
process, so that a busy machine slows them alike; the median of the rounds
is printed.

Variants: ``default``, the model as the config builds it with
``channels_last=False``, or ``+``-joined options (e.g.
``channels_last+bf16+compile``):

- ``channels_last``: ``model.channels_last=True`` (NHWC backbones);
- ``bf16``: bfloat16 autocast (``BF16AmpOptimWrapper``, as
  ``tools/train.py --amp`` on a CPU with AVX-512 BF16 or AMX);
- ``compile``: ``torch.compile`` of the two backbones (``CompileModelHook``'s
  default); ``compile_model``: of the whole model's forward.

The warm-up steps (compilation included) are timed apart and printed as
the variant's start-up cost; ``TORCHINDUCTOR_CACHE_DIR`` (or Inductor's
default folder) keeps compiled kernels for the next run. For image models
the table also shows the achieved GFLOP/s: 3x the forward FLOPs (forward,
and a backward of about twice its cost) counted by
``model_complexity.py`` (2 FLOPs per multiply-add), against the GFLOP/s of
a float32 matrix product measured in the same run with the same threads
(:func:`glamor_mm.utils.matmul_gflops`).

Examples (the README's numbers):
    python tools/analysis_tools/benchmark_train_step.py \\
        configs/glamor/glamor_original_1xb32-12e_toy.py --threads 1
    python tools/analysis_tools/benchmark_train_step.py \\
        configs/video/caernet_original3d_1xb32-12e_caer.py --clip-len 16 \\
        --batch-size 4 --threads 2   # CAER-Net, 16x96x96 + 16x112x112 clips
"""
import argparse
import os.path as osp
import sys
import time
from functools import partial
from typing import Callable, Dict, Optional, Sequence

import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import glamor_mm  # noqa: F401  (registers the models)
from glamor_mm.engine.hooks import compile_modules
from glamor_mm.utils import (interleaved_rounds, matmul_gflops, medians,
                             throughput)
from analysis_cli import (add_cfg_options_argument, add_rounds_arguments,
                          gflops_cells, load_config, markdown_table)

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from model_complexity import analyze  # noqa: E402

OPTIONS = ('channels_last', 'bf16', 'compile', 'compile_model')


def variant(name: str) -> str:
    """Check a ``--variants`` entry: 'default' or '+'-joined OPTIONS."""
    parts = name.split('+')
    if name != 'default' and (not set(parts) <= set(OPTIONS)
                              or len(set(parts)) < len(parts)):
        raise argparse.ArgumentTypeError(
            f'{name!r}: a variant is default or options of {OPTIONS} '
            'joined by +.')
    return name


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Images/s of the training step of a config.')
    parser.add_argument('config', help='config file (model, optim_wrapper)')
    parser.add_argument(
        '--variants',
        nargs='+',
        type=variant,
        default=['default', 'channels_last'],
        help='variants to compare: default, or options of '
        f'{", ".join(OPTIONS)} joined by + (default: default '
        'channels_last)')
    parser.add_argument(
        '--batch-size', type=int, default=32, help='default 32')
    parser.add_argument(
        '--clip-len',
        type=int,
        default=None,
        help='video models: frames per clip (default: images)')
    parser.add_argument(
        '--sizes',
        type=int,
        nargs=2,
        default=(96, 112),
        metavar=('FACE', 'CONTEXT'),
        help='side of the square face and context views (default 96 112)')
    parser.add_argument(
        '--device', default='cpu', help='e.g. cpu, cuda:0 (default cpu)')
    add_rounds_arguments(parser, rounds=5, threads='torch threads')
    parser.add_argument(
        '--steps', type=int, default=3, help='steps per round (default 3)')
    parser.add_argument(
        '--warmup', type=int, default=2, help='untimed steps (default 2)')
    add_cfg_options_argument(parser)
    return parser.parse_args()


def random_batch(batch_size: int,
                 num_classes: int = 7,
                 clip_len: Optional[int] = None,
                 sizes: Sequence[int] = (96, 112)) -> dict:
    """A collated batch of random uint8 face and context views: images
    (N, 3, S, S), or one clip a video (N, 1, 3, clip_len, S, S)."""
    gen = torch.Generator().manual_seed(0)
    lead = (batch_size, ) if clip_len is None else (batch_size, 1)

    def view(size):
        frames = (size, size) if clip_len is None else (clip_len, size, size)
        return torch.randint(
            0, 256, (*lead, 3, *frames), dtype=torch.uint8, generator=gen)

    return dict(
        inputs=dict(face=view(sizes[0]), context=view(sizes[1])),
        data_samples=[
            DataSample().set_gt_label(i % num_classes)
            for i in range(batch_size)
        ])


def build_step(cfg: Config, variant: str, device: str):
    """The training step of one variant, as a function of the batch."""
    options = variant.split('+')
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            cfg.model,
            data_preprocessor=cfg.get('data_preprocessor'),
            channels_last='channels_last' in options))
    model.to(device).train()
    wrapper_cfg = cfg.optim_wrapper
    if 'bf16' in options:
        wrapper_cfg = dict(wrapper_cfg, type='BF16AmpOptimWrapper')
    optim_wrapper = build_optim_wrapper(model, wrapper_cfg)
    if 'compile' in options:
        compile_modules(model)
    if 'compile_model' in options:
        compile_modules(model, [''])
    return lambda batch: model.train_step(batch, optim_wrapper)


def train_gflop(cfg: Config, sizes: Sequence[int]) -> float:
    """GFLOP of one training sample: 3x the forward's, 2 per multiply-add.
    """
    model = MODELS.build(cfg.model)
    macs = analyze(model, (sizes[0], ) * 2, (sizes[1], ) * 2)['total']['flops']
    return 3 * 2 * macs / 1e9


def main() -> Dict[str, float]:
    """Time the variants and print a table.

    Returns:
        dict[str, float]: Median images/s per variant.
    """
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options)
    torch.set_num_threads(args.threads)
    batch = random_batch(
        args.batch_size, clip_len=args.clip_len, sizes=args.sizes)
    steps = {
        variant: build_step(cfg, variant, args.device)
        for variant in args.variants
    }
    synchronize = (
        torch.cuda.synchronize if args.device.startswith('cuda') else None)
    warmup = {}
    for name, step in steps.items():
        start = time.perf_counter()
        for _ in range(args.warmup):
            step(batch)
        if synchronize is not None:
            synchronize()
        warmup[name] = time.perf_counter() - start

    def measure(step: Callable[[dict], dict]) -> float:
        return throughput(
            partial(step, batch),
            args.batch_size,
            min_calls=args.steps,
            synchronize=synchronize)

    measures = {name: partial(measure, step) for name, step in steps.items()}
    on_cpu = args.device == 'cpu'
    if on_cpu:
        measures['fp32 matmul'] = matmul_gflops
    rounds = interleaved_rounds(measures, args.rounds)
    rates = medians(rounds.results)
    peak = rates.pop('fp32 matmul', None)
    gflop = None if args.clip_len is not None else train_gflop(
        cfg, args.sizes)
    base = rates[args.variants[0]]
    unit = 'images' if args.clip_len is None else 'clips'
    inputs = f'face {args.sizes[0]}^2, context {args.sizes[1]}^2' + (
        '' if args.clip_len is None else f', {args.clip_len} frames')
    print(f'{args.config}: training step on {args.device}, batch '
          f'{args.batch_size} ({inputs}), {args.threads} torch thread(s), '
          f'median of {args.rounds} rounds; {rounds.load}')
    rows = []
    for name, rate in rates.items():
        row = [name, f'{rate:.3g}', f'{rate / base:.2f}x']
        if gflop is not None:
            row += gflops_cells(rate, gflop, peak)
        rows.append(row + [f'{warmup[name]:.1f}'])
    header = [
        'variant', f'{unit}/s', f'vs {args.variants[0]}', 'GFLOP/s',
        'of FP32 matmul', f'{args.warmup} warm-up steps (s)'
    ]
    if gflop is None:
        header[3:5] = []
    elif peak is None:
        header[4:5] = []
    else:
        print(f'FP32 matmul (1024^2, {args.threads} thread(s)): '
              f'{peak:.1f} GFLOP/s; training step: {gflop:.3f} GFLOP a '
              'sample')
    print(markdown_table(header, rows, 'l' + 'r' * (len(header) - 1)))
    return rates


if __name__ == '__main__':
    main()
