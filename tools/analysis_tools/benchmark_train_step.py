"""Time the training step (and the test forward) of video configs in clips/s.

Builds each config's model and optimizer, feeds random uint8 clips of the
given sizes (one clip per video, as in training) through
``model.train_step`` (data preprocessor, forward, backward, optimizer step),
and reports clips per second. Several configs are timed in interleaved
rounds, so that their ratio holds on a machine whose load changes. The data
pipeline is not included: ``benchmark_pipeline.py`` times it.

Examples:
    python tools/analysis_tools/benchmark_train_step.py \
        configs/video/caernet_original3d_1xb32-12e_caer.py \
        configs/video/glamor_original3d_1xb32-12e_caer.py \
        --batch-size 4 --threads 2
    python tools/analysis_tools/benchmark_train_step.py \
        configs/video/caernet_original3d_1xb8-40e_toy-videos.py \
        --clip-len 8 --face-size 32 --context-size 40 --batch-size 16
"""
import argparse
import time
from typing import Dict, List

import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import glamor_mm  # noqa: F401


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('configs', nargs='+', help='video model configs')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument(
        '--clip-len', type=int, default=16, help='frames per clip')
    parser.add_argument(
        '--face-size', type=int, default=96, help='face clip side (pixels)')
    parser.add_argument(
        '--context-size',
        type=int,
        default=112,
        help='context clip side (pixels)')
    parser.add_argument(
        '--steps', type=int, default=5, help='timed steps per round')
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument(
        '--threads', type=int, default=None, help='torch CPU threads')
    parser.add_argument('--device', default='cpu')
    return parser.parse_args()


def random_batch(args: argparse.Namespace, num_classes: int) -> dict:
    """A collated batch as the video pipeline packs it: one clip a video."""
    n, t = args.batch_size, args.clip_len

    def clips(size):
        return torch.randint(
            0, 256, (n, 1, 3, t, size, size), dtype=torch.uint8)

    return dict(
        inputs=dict(
            face=clips(args.face_size), context=clips(args.context_size)),
        data_samples=[
            DataSample(metainfo=dict(num_clips=1)).set_gt_label(
                i % num_classes) for i in range(n)
        ])


def time_steps(step, num: int, device: str) -> float:
    """Seconds per call of ``step`` over ``num`` calls."""
    if device.startswith('cuda'):
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(num):
        step()
    if device.startswith('cuda'):
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / num


def main() -> None:
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    init_default_scope('mmpretrain')
    runs: Dict[str, dict] = {}
    for path in args.configs:
        cfg = Config.fromfile(path)
        model_cfg = cfg.model.copy()
        if cfg.get('data_preprocessor') is not None:
            model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
        model = MODELS.build(model_cfg).to(args.device)
        optim = build_optim_wrapper(model, cfg.optim_wrapper)
        batch = random_batch(args, model.head.num_classes)

        def train(model=model, optim=optim, batch=batch):
            model.train()
            model.train_step(batch, optim)

        def test(model=model, batch=batch):
            model.eval()
            with torch.no_grad():
                model.test_step(batch)

        train()  # warm-up
        test()
        runs[path] = dict(
            train=train, test=test, times=dict(train=[], test=[]))
    for _ in range(args.rounds):
        for run in runs.values():
            for mode in ('train', 'test'):
                run['times'][mode].append(
                    time_steps(run[mode], args.steps, args.device))
    print(f'batch {args.batch_size} clips of {args.clip_len} frames, face '
          f'{args.face_size}^2, context {args.context_size}^2, threads '
          f'{torch.get_num_threads()}, device {args.device}; median of '
          f'{args.rounds} rounds of {args.steps} steps')
    print(f'{"config":<60} {"train clips/s":>14} {"test clips/s":>13}')
    for path, run in runs.items():
        rates: List[float] = [
            args.batch_size / sorted(run['times'][mode])[args.rounds // 2]
            for mode in ('train', 'test')
        ]
        print(f'{path:<60} {rates[0]:14.1f} {rates[1]:13.1f}')


if __name__ == '__main__':
    main()
