"""Measure the images/s of a config's data pipelines through a DataLoader.

Each variant is a DataLoader over the dataset of ``--dataloader`` with the
config's batch size and collate function (``default_collate`` where the
config sets none, as ``tools/train.py``), and with the config's training
or test pipeline, with or without the pipeline cache
(``dataset.cache_dir``; with ``--cache-checks stat hash``, once for each
way the cache checks the image files, ``dataset.cache_check``), and with
``--workers`` worker processes. With
``--preprocessor`` (the default) every batch also goes through the config's
data preprocessor in the main process, as in training. The variants run in
interleaved rounds after one untimed epoch each (worker start-up, file
cache, filling the pipeline cache), so that a busy machine slows them
alike. Each timed run starts after the batches prefetched while the
variant waited. The table shows the median of the rounds and the load
average, and the CPU time per sample of the main process and the workers
together (Linux), which a busy machine changes much less than the rates:
compare it between variants when other jobs share the cores. For video
datasets a sample is a video, and the table also shows clips/s
(``num_clips`` of the packed samples: 1 per video with the training
pipeline, every sliding clip with the test pipeline).

Example (the README's numbers: 420 frames of CAER-S size, 712x400):
    python tools/dataset_converters/generate_toy_caers.py data/bench_712x400 \\
        --img-size 400 712 --num-train-per-class 60 \\
        --num-val-per-class 0 --num-test-per-class 0
    python tools/analysis_tools/benchmark_pipeline.py \\
        configs/_base_/datasets/toy_caers.py --pipelines train test \\
        --workers 2 0 --cache-dir /tmp/bench_cache \\
        --cfg-options train_dataloader.dataset.data_root=data/bench_712x400
"""
import argparse
import copy
import cProfile
import itertools
import os
import os.path as osp
import pstats
import statistics
import time
from functools import partial
from typing import Dict, List, Optional, Tuple, Union

import cv2
import torch
from mmengine.dataset import worker_init_fn
from mmengine.registry import FUNCTIONS
from mmpretrain.registry import DATASETS, MODELS

import glamor_mm  # noqa: F401  (registers the transforms and datasets)
from glamor_mm.utils import interleaved_rounds, medians
from analysis_cli import (add_cfg_options_argument, add_rounds_arguments,
                          format_rounds, load_config, markdown_table)

DEFAULT_COLLATE = dict(type='default_collate')


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Images/s of the data pipelines of a config.')
    parser.add_argument('config', help='config file')
    parser.add_argument(
        '--dataloader',
        default='train_dataloader',
        help='whose dataset and batch size (default train_dataloader)')
    parser.add_argument(
        '--pipelines',
        nargs='+',
        choices=('train', 'test'),
        default=['train'],
        help="the config's train_pipeline and/or test_pipeline "
        '(default train)')
    parser.add_argument(
        '--workers',
        type=int,
        nargs='+',
        default=[2],
        help='DataLoader worker counts to compare (default 2)')
    parser.add_argument(
        '--cache-dir',
        default=None,
        help='also measure each pipeline with the pipeline cache in this '
        'folder (relative to data_root unless absolute)')
    parser.add_argument(
        '--cache-checks',
        nargs='+',
        choices=('stat', 'hash'),
        default=['stat'],
        help="the cache's checks of the image files to compare (dataset "
        "cache_check; default stat)")
    parser.add_argument(
        '--no-preprocessor',
        dest='preprocessor',
        action='store_false',
        help="leave out the config's data preprocessor")
    parser.add_argument(
        '--num-samples',
        type=int,
        default=320,
        help='images per variant and round (default 320)')
    add_rounds_arguments(
        parser, rounds=2, threads='torch threads of the main process')
    parser.add_argument(
        '--profile',
        action='store_true',
        help='also profile one pass over the dataset of the first pipeline '
        '(uncached) in this process and print where the time goes')
    add_cfg_options_argument(parser)
    return parser.parse_args()


def cpu_seconds(pids: List[int]) -> Optional[float]:
    """User plus system CPU seconds of processes, from ``/proc`` (Linux).

    Args:
        pids (list[int]): Process ids.

    Returns:
        float | None: Their CPU time; None where ``/proc`` cannot tell
        (not Linux, or a process that has ended).
    """
    total = 0
    for pid in pids:
        try:
            with open(f'/proc/{pid}/stat') as f:
                fields = f.read().rsplit(')', 1)[1].split()
        except OSError:
            return None
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf('SC_CLK_TCK')


def config_loader(dataset, loader_cfg: dict,
                  num_workers: int) -> torch.utils.data.DataLoader:
    """A shuffled DataLoader as the config sets it up, with persistent
    workers.

    Args:
        dataset: A built dataset.
        loader_cfg (dict): The config's dataloader (``batch_size``,
            ``collate_fn``: MMPretrain's ``default_collate`` where the config
            sets none, as in training and testing).
        num_workers (int): Worker processes (0: the main process).

    Returns:
        torch.utils.data.DataLoader: The loader.
    """
    # the collate function tools/train.py and tools/test.py default to
    collate_cfg = dict(loader_cfg.get('collate_fn', DEFAULT_COLLATE))
    collate_fn = FUNCTIONS.get(collate_cfg.pop('type'))
    return torch.utils.data.DataLoader(
        dataset,
        batch_size=loader_cfg.get('batch_size', 32),
        shuffle=True,
        num_workers=num_workers,
        collate_fn=collate_fn,
        worker_init_fn=partial(
            worker_init_fn, num_workers=num_workers, rank=0, seed=0),
        persistent_workers=num_workers > 0)


class LoaderVariant:
    """One DataLoader to time.

    Args:
        loader (torch.utils.data.DataLoader): The loader (persistent
            workers, so that start-up is not timed), e.g. of
            :func:`config_loader`. Its batches are dicts with
            ``data_samples``, or ``(inputs, labels)`` pairs.
        preprocessor (callable, optional): Applied to every batch in the
            main process. Defaults to None.
    """

    def __init__(self,
                 loader: torch.utils.data.DataLoader,
                 preprocessor: Optional[torch.nn.Module] = None) -> None:
        self.loader = loader
        self.batch_size = loader.batch_size
        self.preprocessor = preprocessor
        # batches the workers prepare ahead (DataLoader's prefetch_factor 2)
        # while another variant is being timed
        self.prefetched = 2 * loader.num_workers
        self._iter = iter(self.loader)

    @property
    def worker_pids(self) -> List[int]:
        """Process ids of the DataLoader's workers (none with 0 workers)."""
        return [worker.pid for worker in getattr(self._iter, '_workers', [])]

    def _next(self) -> Union[dict, tuple]:
        try:
            batch = next(self._iter)
        except StopIteration:
            self._iter = iter(self.loader)
            batch = next(self._iter)
        if self.preprocessor is not None:
            with torch.no_grad():
                self.preprocessor(batch, True)
        return batch

    def warm_up(self) -> None:
        """One untimed epoch."""
        for _ in range(len(self.loader)):
            self._next()

    def samples_per_second(
            self, num_samples: int) -> Tuple[float, float, Optional[float]]:
        """Time ``num_samples`` samples (whole batches) in steady state.

        The batches the workers prepared while idle are taken first,
        untimed.

        Returns:
            tuple[float, float, float | None]: Samples (images or videos)
            per second, clips per second (0 for images), and the CPU time
            per sample in ms of the main process and the workers together
            over the timed batches (None where ``/proc`` is missing). A
            busy machine lowers the rates, much less the CPU time.
        """
        for _ in range(self.prefetched):
            self._next()
        num_batches = max(1, -(-num_samples // self.batch_size))
        samples = clips = 0
        pids = [os.getpid()] + self.worker_pids
        cpu_start = cpu_seconds(pids)
        start = time.perf_counter()
        for _ in range(num_batches):
            batch = self._next()
            if isinstance(batch, dict):
                data_samples = batch['data_samples']
                clips += sum(
                    s.metainfo.get('num_clips', 0) for s in data_samples)
            else:
                data_samples = batch[-1]  # labels of an (inputs, labels) pair
            samples += len(data_samples)
        seconds = time.perf_counter() - start
        cpu_end = cpu_seconds(pids)
        cpu_ms = None if cpu_start is None or cpu_end is None else (
            1e3 * (cpu_end - cpu_start) / samples)
        return samples / seconds, clips / seconds, cpu_ms


def time_variants(
        variants: Dict[str, LoaderVariant], num_samples: int, rounds: int
) -> Tuple[Dict[str, List[float]], Dict[str, List[float]], Dict[
        str, List[Optional[float]]], str]:
    """Warm every variant up, then time them in interleaved rounds.

    Args:
        variants (dict[str, LoaderVariant]): The loaders, by name.
        num_samples (int): Samples per variant and round.
        rounds (int): Timed rounds.

    Returns:
        tuple[dict, dict, dict, str]: Per variant the samples/s, the
        clips/s and the CPU ms per sample (None where unknown) of every
        round, and the load average around the rounds.
    """
    for variant in variants.values():
        variant.warm_up()
    measured = interleaved_rounds(
        {
            name: partial(variant.samples_per_second, num_samples)
            for name, variant in variants.items()
        }, rounds)
    sample_rates, clip_rates, cpu_ms = ({
        name: [result[i] for result in results]
        for name, results in measured.results.items()
    } for i in range(3))
    return sample_rates, clip_rates, cpu_ms, measured.load


def profile_pipeline(dataset, top: int = 12, unit: str = 'image') -> None:
    """Print the functions that take the most time in one pass.

    Args:
        dataset: A built dataset; every sample is prepared once.
        top (int): How many functions to print. Defaults to 12.
        unit (str): What a sample is, for the printout. Defaults to
            'image'.
    """
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(len(dataset)):
        dataset[i]
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    print(f'Profile of one pass over {len(dataset)} {unit}s: '
          f'{total / len(dataset) * 1e3:.1f} ms per {unit}')
    rows = []
    for (file, line, name), (_, _, own, _, _) in sorted(
            stats.stats.items(), key=lambda kv: -kv[1][2])[:top]:
        where = name if file == '~' else f'{osp.basename(file)}:{line} {name}'
        rows.append(
            (where, f'{own / len(dataset) * 1e3:.2f}', f'{own / total:.0%}'))
    print(markdown_table(('function', f'ms per {unit}', 'share'), rows, 'lrr'))


def main() -> Dict[str, float]:
    """Time the variants and print a table.

    Returns:
        dict[str, float]: Median images/s (videos/s) per variant name, and
        for videos the median clips/s under ``'<name>, clips/s'``.
    """
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options)
    # OpenCV without its thread pool, as MMEngine's default env_cfg sets up
    cv2.setNumThreads(0)
    torch.set_num_threads(args.threads)
    loader_cfg = cfg[args.dataloader]
    preprocessor = None
    if args.preprocessor and cfg.get('data_preprocessor'):
        preprocessor = MODELS.build(cfg.data_preprocessor)

    variants: Dict[str, LoaderVariant] = {}
    caches = [(None, 'stat')]
    if args.cache_dir is not None:
        caches += [(args.cache_dir, check) for check in args.cache_checks]
    for pipeline, (cache_dir, check), workers in itertools.product(
            args.pipelines, caches, args.workers):
        dataset_cfg = copy.deepcopy(loader_cfg['dataset'])
        dataset_cfg.update(
            pipeline=cfg[f'{pipeline}_pipeline'],
            cache_dir=cache_dir,
            cache_check=check)
        dataset = DATASETS.build(dataset_cfg)
        dataset.full_init()
        cached = ('uncached' if cache_dir is None else
                  'cached' if check == 'stat' else f'cached ({check})')
        name = f'{pipeline} pipeline, {cached}, {workers} workers'
        variants[name] = LoaderVariant(
            config_loader(dataset, loader_cfg, workers), preprocessor)
    if args.profile:
        first = copy.deepcopy(loader_cfg['dataset'])
        first.update(pipeline=cfg[f'{args.pipelines[0]}_pipeline'])
        profile_pipeline(DATASETS.build(first))
    sample_rates, clip_rates, cpu_ms, load = time_variants(
        variants, args.num_samples, args.rounds)
    rates, clips = medians(sample_rates), medians(clip_rates)

    def cpu_cell(name: str) -> str:
        """The median CPU ms per sample of a variant, or '-'."""
        known = [ms for ms in cpu_ms[name] if ms is not None]
        return f'{statistics.median(known):.2f}' if known else '-'

    print(f'{args.config} ({args.dataloader}: {len(dataset)} samples, batch '
          f'{loader_cfg.get("batch_size", 32)}; data preprocessor '
          f'{"included" if preprocessor else "left out"}; main process '
          f'{args.threads} torch thread(s)); median of {args.rounds} rounds; '
          f'{load}')
    if any(clips.values()):  # videos
        print(
            markdown_table(
                ('variant', 'videos/s', 'clips/s', 'rounds (clips/s)',
                 'CPU ms/video'),
                [(name, f'{rate:.1f}', f'{clips[name]:.1f}',
                  format_rounds(clip_rates[name], '.1f'), cpu_cell(name))
                 for name, rate in rates.items()], 'lrrlr'))
        rates.update({
            f'{name}, clips/s': rate
            for name, rate in clips.items()
        })
        return rates
    print(
        markdown_table(('variant', 'images/s', 'rounds', 'CPU ms/image'),
                       [(name, f'{rate:.1f}', format_rounds(
                           sample_rates[name]), cpu_cell(name))
                        for name, rate in rates.items()], 'lrlr'))
    return rates


if __name__ == '__main__':
    main()
