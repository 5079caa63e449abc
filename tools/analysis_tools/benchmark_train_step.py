"""Measure the images/s (clips/s) of a config's training step, in variants.

One training step is what the runner does per iteration:
``model.train_step(batch, optim_wrapper)`` (data preprocessor, forward,
loss, backward, optimizer step) on a batch of random uint8 images, or of
clips with ``--clip-len`` (one clip per video, as in training), without
data loading. The variants are measured in interleaved rounds in one
process, so that a busy machine slows them alike; the median of the rounds
is printed.

Variants:
- ``default``: the model as the config builds it, with
  ``channels_last=False``;
- ``channels_last``: ``model.channels_last=True`` (NHWC backbones);
- ``compile`` / ``channels_last+compile``: also ``torch.compile`` of
  ``train_step``, as MMEngine's ``compile=True`` config option does (the
  compilation itself, in the warm-up steps, is not timed).

Examples (the README's numbers):
    python tools/analysis_tools/benchmark_train_step.py \\
        configs/glamor/glamor_original_1xb32-12e_toy.py --threads 1
    python tools/analysis_tools/benchmark_train_step.py \\
        configs/video/caernet_original3d_1xb32-12e_caer.py --clip-len 16 \\
        --batch-size 4 --threads 2   # CAER-Net, 16x96x96 + 16x112x112 clips
"""
import argparse
from functools import partial
from typing import Callable, Dict, Optional, Sequence

import torch
from mmengine.config import Config, DictAction
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import glamor_mm  # noqa: F401  (registers the models)
from glamor_mm.utils import interleaved_rounds, medians, throughput
from analysis_cli import add_rounds_arguments, markdown_table

VARIANTS = ('default', 'channels_last', 'compile', 'channels_last+compile')


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Images/s of the training step of a config.')
    parser.add_argument('config', help='config file (model, optim_wrapper)')
    parser.add_argument(
        '--variants',
        nargs='+',
        default=['default', 'channels_last'],
        choices=VARIANTS,
        help='variants to compare (default: default channels_last)')
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
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as in tools/train.py')
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
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            cfg.model,
            data_preprocessor=cfg.get('data_preprocessor'),
            channels_last=variant.startswith('channels_last')))
    model.to(device).train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    train_step = model.train_step
    if variant.endswith('compile'):
        train_step = torch.compile(train_step)
    return lambda batch: train_step(batch, optim_wrapper)


def main() -> Dict[str, float]:
    """Time the variants and print a table.

    Returns:
        dict[str, float]: Median images/s per variant.
    """
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    torch.set_num_threads(args.threads)
    batch = random_batch(
        args.batch_size, clip_len=args.clip_len, sizes=args.sizes)
    steps = {
        variant: build_step(cfg, variant, args.device)
        for variant in args.variants
    }
    for step in steps.values():
        for _ in range(args.warmup):
            step(batch)
    synchronize = (
        torch.cuda.synchronize if args.device.startswith('cuda') else None)
    if synchronize is not None:
        synchronize()

    def measure(step: Callable[[dict], dict]) -> float:
        return throughput(
            partial(step, batch),
            args.batch_size,
            min_calls=args.steps,
            synchronize=synchronize)

    rounds = interleaved_rounds(
        {
            variant: partial(measure, step)
            for variant, step in steps.items()
        }, args.rounds)
    rates = medians(rounds.results)
    base = rates[args.variants[0]]
    unit = 'images' if args.clip_len is None else 'clips'
    inputs = f'face {args.sizes[0]}^2, context {args.sizes[1]}^2' + (
        '' if args.clip_len is None else f', {args.clip_len} frames')
    print(f'{args.config}: training step on {args.device}, batch '
          f'{args.batch_size} ({inputs}), {args.threads} torch thread(s), '
          f'median of {args.rounds} rounds; {rounds.load}')
    print(
        markdown_table(('variant', f'{unit}/s', f'vs {args.variants[0]}'),
                       [(variant, f'{rate:.3g}', f'{rate / base:.2f}x')
                        for variant, rate in rates.items()], 'lrr'))
    return rates


if __name__ == '__main__':
    main()
