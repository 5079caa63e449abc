"""Measure the images/s of a config's training data pipeline.

Two figures: one process running the pipeline alone (the speed of one
DataLoader worker), and a DataLoader with ``--num-workers`` workers and the
config's batch size and collate function (model time not included). For
video datasets a sample is a video, and the clips/s (``num_clips`` of the
packed samples: 1 per video in training, every sliding clip in testing) are
printed too.

Example (built-in data):
    python tools/dataset_converters/generate_toy_caers.py data/toy_caers
    python tools/analysis_tools/benchmark_pipeline.py \
        configs/_base_/datasets/toy_caers.py --num-workers 2
    python tools/dataset_converters/generate_toy_caer_videos.py \
        data/toy_caer_videos
    python tools/analysis_tools/benchmark_pipeline.py \
        configs/_base_/datasets/toy_caer_videos.py --num-workers 2 \
        --dataloader test_dataloader
"""
import argparse
import time
from functools import partial
from typing import Dict, Tuple

import cv2
import torch
from mmengine.config import Config, DictAction
from mmengine.dataset import pseudo_collate, worker_init_fn
from mmengine.registry import FUNCTIONS, init_default_scope
from mmpretrain.registry import DATASETS

import glamor_mm  # noqa: F401  (registers the transforms and datasets)


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Images/s of the training data pipeline of a config.')
    parser.add_argument('config', help='config file (uses train_dataloader)')
    parser.add_argument(
        '--num-workers',
        type=int,
        default=2,
        help='DataLoader workers for the second measurement (default 2)')
    parser.add_argument(
        '--num-samples',
        type=int,
        default=300,
        help='images to time in each measurement (default 300)')
    parser.add_argument(
        '--dataloader',
        default='train_dataloader',
        help='which dataloader of the config (default train_dataloader)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as in tools/train.py')
    return parser.parse_args()


def count_clips(data_samples) -> int:
    """Number of clips in packed samples (``num_clips`` metainfo; 0 for
    images).

    Args:
        data_samples: A DataSample or a list of them.

    Returns:
        int: The total number of clips.
    """
    if not isinstance(data_samples, (list, tuple)):
        data_samples = [data_samples]
    return sum(s.metainfo.get('num_clips', 0) for s in data_samples)


def time_single_process(dataset, num_samples: int) -> Tuple[float, float]:
    """Images/s of the pipeline in this process (one worker's speed).

    Args:
        dataset: A built dataset with a pipeline.
        num_samples (int): Number of images (videos) to process.

    Returns:
        tuple[float, float]: Images (videos) per second, and clips per
        second (0 for images).
    """
    dataset[0]  # warm-up (file cache, lazy imports)
    start = time.perf_counter()
    clips = 0
    for i in range(num_samples):
        clips += count_clips(dataset[i % len(dataset)]['data_samples'])
    seconds = time.perf_counter() - start
    return num_samples / seconds, clips / seconds


def time_dataloader(dataset, loader_cfg: dict, num_workers: int,
                    num_samples: int) -> Tuple[float, float]:
    """Images/s through a DataLoader with ``num_workers`` workers.

    The first batch (worker start-up) is not timed.

    Args:
        dataset: A built dataset with a pipeline.
        loader_cfg (dict): The config's dataloader settings (``batch_size``
            and ``collate_fn`` are used).
        num_workers (int): Number of worker processes (0: this process).
        num_samples (int): Number of images to time (whole batches).

    Returns:
        tuple[float, float]: Images (videos) per second, and clips per
        second (0 for images).
    """
    collate_cfg = dict(loader_cfg.get('collate_fn', {}))
    collate_fn = (
        FUNCTIONS.get(collate_cfg.pop('type'))
        if collate_cfg else pseudo_collate)
    batch_size = loader_cfg.get('batch_size', 32)
    loader = torch.utils.data.DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=True,
        num_workers=num_workers,
        collate_fn=collate_fn,
        worker_init_fn=partial(
            worker_init_fn, num_workers=num_workers, rank=0, seed=0),
        persistent_workers=num_workers > 0)
    num_batches = max(1, -(-num_samples // batch_size))
    done, samples, clips, start, it = 0, 0, 0, None, iter(loader)
    while done < num_batches + 1:
        try:
            batch = next(it)
        except StopIteration:
            it = iter(loader)
            continue
        if start is None:
            start = time.perf_counter()
        else:
            done += 1
            samples += len(batch['data_samples'])
            clips += count_clips(batch['data_samples'])
    seconds = time.perf_counter() - start
    return samples / seconds, clips / seconds


def main() -> Dict[str, float]:
    """Run both measurements and print them.

    Returns:
        dict[str, float]: ``per_worker`` and ``dataloader`` images/s (and
        ``per_worker_clips``, ``dataloader_clips`` for videos).
    """
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))

    loader_cfg = cfg[args.dataloader]
    dataset = DATASETS.build(loader_cfg['dataset'])
    dataset.full_init()
    # OpenCV without its thread pool, as MMEngine's default env_cfg sets up
    cv2.setNumThreads(0)
    torch.set_num_threads(1)
    results = {}
    results['per_worker'], per_worker_clips = time_single_process(
        dataset, args.num_samples)
    results['dataloader'], dataloader_clips = time_dataloader(
        dataset, loader_cfg, args.num_workers, args.num_samples)
    print(f'{args.config} ({args.dataloader}, {len(dataset)} samples, '
          f'batch {loader_cfg.get("batch_size", 32)}):')
    if per_worker_clips:  # video samples: also clips/s
        results.update(
            per_worker_clips=per_worker_clips,
            dataloader_clips=dataloader_clips)
        clips = (f'  {per_worker_clips:8.1f} clips/s',
                 f'  {dataloader_clips:8.1f} clips/s')
    else:
        clips = ('', '')
    print(f'  one process (per worker): {results["per_worker"]:8.1f} '
          f'samples/s{clips[0]}')
    print(f'  DataLoader, {args.num_workers} workers:  '
          f'{results["dataloader"]:8.1f} samples/s{clips[1]}')
    return results


if __name__ == '__main__':
    main()
