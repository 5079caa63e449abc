"""Measure the CAER video path at CAER's scale, on generated clips.

1. Generates ``--num-clips`` clips laid out and encoded like CAER's:
   ``train/<Class>/<clip>.avi``, 712x400 MPEG-4 part 2 (XVID) in AVI at
   ``--fps``, with lengths drawn uniformly from ``--num-frames`` (CAER's
   clips run from about 30 to over 120 frames, 84 on average). The frames
   are real photographs: scikit-image's astronaut's head moves over a
   shifted copy of its coffee picture, and in every other clip matplotlib's
   Grace Hopper comes in for the middle half (1-2 faces), so that the face
   detector works as on real clips. ``train_tracks.json`` holds the
   astronaut's face track (where dlib finds it), so that the pipeline can
   be measured on more clips than the detector. The clips are reused by a
   later run with the same settings.
2. Face tracks: runs ``tools/detect_face_tracks.py`` with dlib's HOG
   detector as a user would (a subprocess) on the first ``--detect-clips``
   clips (the split ``detect/``), once per process count of
   ``--detect-workers``. Its clips/s and frames/s leave out the tool's
   start-up (the time of a re-run that finds every clip done), and give the
   time for all of CAER (13,201 clips, 1,107,877 frames): on 2 cores from
   the 2-process run, on 16 cores from the 1-process run times 16 (each
   clip is detected on its own, so the work scales with the processes as
   long as each has a core; the 2-process run shows how far it does here).
3. Training pipeline: clips/s of ``--config``'s training pipeline through a
   DataLoader (``benchmark_pipeline.py``'s, data preprocessor included),
   with each ``--workers`` count, without and with the pipeline cache, in
   interleaved rounds.
4. Memory: the RSS and USS (memory no other process shares) of the main
   process and of each DataLoader worker, after the timed rounds.

Example (the numbers of docs/user_guides/video.md)::

    python tools/analysis_tools/benchmark_caer_video_path.py \\
        work_dirs/caer_scale --num-clips 280 --detect-clips 28
"""
import argparse
import copy
import itertools
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import time
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import DATASETS, MODELS

import glamor_mm  # noqa: F401  (registers the transforms and datasets)
from glamor_mm.apis import VideoFileWriter
from glamor_mm.datasets import CAER_CLASSES
from glamor_mm.utils import medians
from analysis_cli import add_rounds_arguments, format_rounds, markdown_table
from benchmark_pipeline import (LoaderVariant, config_loader, profile_pipeline,
                                time_variants)
from benchmark_video_demo import FPS, SIZE, paste, photo_heads

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
# CAER (CAER-Net paper, Table 1)
CAER_CLIPS = 13201
CAER_FRAMES = 1107877
FACE_DETECTOR = 'configs/face_detectors/dlib_hog.py'
# where dlib's HOG detector finds the face in the pasted astronaut head
# (x1, y1, x2, y2 from the head's top left corner; measured)
FACE_IN_HEAD = (48, 61, 153, 165)
MIB = 1 << 20


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        'out_dir', help='folder of the clips, their tracks and the cache')
    parser.add_argument(
        '--num-clips',
        type=int,
        default=70,
        help='clips to generate, spread over the 7 classes (default 70)')
    parser.add_argument(
        '--num-frames',
        type=int,
        nargs=2,
        default=[30, 138],
        metavar=('MIN', 'MAX'),
        help='range of the clip lengths in frames (default 30 138: 84 on '
        'average, as CAER)')
    parser.add_argument(
        '--fps', type=float, default=FPS, help=f'frame rate (default {FPS})')
    parser.add_argument(
        '--detect-clips',
        type=int,
        default=14,
        help='clips the face-track runs are timed on, the first ones '
        '(default 14: its rate per frame does not depend on the number)')
    parser.add_argument(
        '--detect-workers',
        type=int,
        nargs='*',
        default=[1, 2],
        help='process counts of the face-track runs (default 1 2; none: '
        'skip them)')
    parser.add_argument(
        '--config',
        default='configs/video/caernet_original3d_1xb32-12e_caer.py',
        help='config whose training pipeline is measured')
    parser.add_argument(
        '--batch-size', type=int, default=8, help='batch size (default 8)')
    parser.add_argument(
        '--workers',
        type=int,
        nargs='+',
        default=[0, 2],
        help='DataLoader worker counts (default 0 2)')
    parser.add_argument(
        '--no-cache',
        dest='cache',
        action='store_false',
        help='leave out the variants with the pipeline cache')
    parser.add_argument(
        '--num-samples',
        type=int,
        default=32,
        help='clips per variant and round (default 32)')
    parser.add_argument(
        '--profile',
        action='store_true',
        help='also profile one pass of the uncached training pipeline over '
        'the clips and print where the time goes')
    add_rounds_arguments(parser, rounds=2)
    args = parser.parse_args()
    if min(args.num_clips, args.detect_clips) < 1:
        parser.error('--num-clips and --detect-clips must be >= 1')
    return args


def write_clip(path: str, num_frames: int, fps: float, seed: int,
               photos: Tuple[np.ndarray, np.ndarray, np.ndarray]) -> list:
    """Write one clip (see the module docstring).

    Returns:
        list: Per frame, the astronaut's face box ``[x1, y1, x2, y2]``.
    """
    background, astronaut, grace = photos
    rng = np.random.default_rng(seed)
    background = np.roll(background, int(rng.integers(SIZE[0])), axis=1)
    phase0, speed = rng.uniform(0, 2 * np.pi), rng.uniform(0.5, 1.5)
    track = []
    with VideoFileWriter(path, fps, SIZE, fourcc='XVID') as writer:
        for t in range(num_frames):
            frame = background.copy()
            phase = phase0 + speed * 2 * np.pi * t / 90
            x, y = (int(30 + 100 * (1 - np.cos(phase))),
                    int(60 + 50 * np.sin(2 * phase)))
            paste(frame, astronaut, x, y)
            track.append([float(v) for v in np.add(FACE_IN_HEAD, [x, y] * 2)])
            if seed % 2 and num_frames / 4 <= t < num_frames * 3 / 4:
                paste(frame, grace, int(480 + 30 * np.sin(3 * phase)),
                      int(40 + 20 * np.cos(3 * phase)))
            writer.write(frame)
    return track


def generate_clips(out_dir: str, num_clips: int, num_frames: Tuple[int, int],
                   fps: float, detect_clips: int) -> List[int]:
    """Write the clips and their tracks, or reuse those of a run with the
    same settings.

    Writes ``train/<Class>/<clip>.avi``, ``train_tracks.json`` (the
    astronaut's face boxes, as ``CAERDataset`` reads them) and the split
    ``detect/`` of the first ``detect_clips`` clips (hard links).

    Args:
        out_dir (str): The dataset root.
        num_clips (int): Clips, class after class.
        num_frames (tuple[int, int]): Range of the clip lengths.
        fps (float): Frame rate.
        detect_clips (int): Clips of the split ``detect/``.

    Returns:
        list[int]: The length of every clip, in frames.
    """
    settings = dict(
        num_clips=num_clips,
        num_frames=list(num_frames),
        fps=fps,
        detect_clips=detect_clips,
        version=2)
    marker = osp.join(out_dir, 'clips.json')
    if osp.isfile(marker):
        with open(marker) as f:
            done = json.load(f)
        if done['settings'] == settings:
            return done['lengths']
    for split in ('train', 'detect'):
        shutil.rmtree(osp.join(out_dir, split), ignore_errors=True)
    rng = np.random.default_rng(0)
    lengths = rng.integers(num_frames[0], num_frames[1] + 1,
                           num_clips).tolist()
    photos = photo_heads(200, 180)
    data_list = []
    for i, length in enumerate(lengths):
        label = i % len(CAER_CLASSES)
        rel = f'{CAER_CLASSES[label]}/{i:04d}.avi'
        path = osp.join(out_dir, 'train', rel)
        track = write_clip(path, length, fps, i, photos)
        data_list.append(
            dict(
                video_path=f'train/{rel}',
                gt_label=label,
                num_frames=length,
                fps=fps,
                height=SIZE[1],
                width=SIZE[0],
                file_size=osp.getsize(path),
                face_track=track,
                face_track_flags='d' * length))
        if i < detect_clips:
            os.makedirs(
                osp.dirname(osp.join(out_dir, 'detect', rel)), exist_ok=True)
            try:
                os.link(path, osp.join(out_dir, 'detect', rel))
            except OSError:  # a file system without hard links
                shutil.copyfile(path, osp.join(out_dir, 'detect', rel))
    metainfo = dict(
        classes=list(CAER_CLASSES),
        face_tracks=dict(source='benchmark_caer_video_path.py'))
    with open(osp.join(out_dir, 'train_tracks.json'), 'w') as f:
        json.dump(dict(metainfo=metainfo, data_list=data_list), f)
    with open(marker, 'w') as f:
        json.dump(dict(settings=settings, lengths=lengths), f)
    return lengths


def run_face_tracks(out_dir: str, workers: int, restart: bool) -> float:
    """Run ``tools/detect_face_tracks.py`` on the split ``detect``; its wall
    time."""
    command = [
        sys.executable,
        osp.join(ROOT, 'tools', 'detect_face_tracks.py'),
        osp.join(ROOT, FACE_DETECTOR), '--data-root', out_dir, '--split',
        'detect', '--out',
        osp.join(out_dir, 'detect_tracks.json'), '--workers',
        str(workers)
    ] + (['--restart'] if restart else [])
    env = dict(
        os.environ,
        OMP_NUM_THREADS='1',
        PYTHONPATH=os.pathsep.join(
            p for p in (ROOT, os.environ.get('PYTHONPATH')) if p))
    start = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if proc.returncode:
        raise RuntimeError(f'{" ".join(command)} failed '
                           f'({proc.returncode}):\n{proc.stderr[-3000:]}')
    return seconds


def measure_face_tracks(out_dir: str, worker_counts: List[int],
                        lengths: List[int]) -> List[dict]:
    """Time the face-track tool with every process count.

    Returns:
        list[dict]: Per process count: ``workers``, ``seconds`` (wall
        time), ``startup`` (a re-run with nothing to do), ``clips``,
        ``frames``, ``clips_per_s`` and ``frames_per_s`` (of the time
        after the start-up).
    """
    rows = []
    for workers in worker_counts:
        seconds = run_face_tracks(out_dir, workers, restart=True)
        startup = run_face_tracks(out_dir, workers, restart=False)
        work = seconds - startup
        if work <= 0:
            raise RuntimeError(
                f'detect_face_tracks.py took {seconds:.1f} s on '
                f'{len(lengths)} clips and {startup:.1f} s with nothing to '
                'do: too few clips to time; use more --num-clips.')
        rows.append(
            dict(
                workers=workers,
                seconds=seconds,
                startup=startup,
                clips=len(lengths),
                frames=sum(lengths),
                clips_per_s=len(lengths) / work,
                frames_per_s=sum(lengths) / work))
    return rows


def caer_hours(rows: List[dict]) -> List[Tuple[str, float]]:
    """Hours of face tracks for all of CAER on 2 and on 16 cores.

    Args:
        rows (list[dict]): :func:`measure_face_tracks`'s rows.

    Returns:
        list[tuple[str, float]]: ``(how, hours)``: from the 2-process run
        for 2 cores, and 16 times the 1-process rate for 16 cores.
    """
    by_workers = {row['workers']: row for row in rows}
    estimates = []
    if 2 in by_workers:
        estimates.append(('2 cores (measured, 2 processes)',
                          CAER_FRAMES / by_workers[2]['frames_per_s'] / 3600))
    if 1 in by_workers:
        estimates.append(
            ('16 cores (16 x the 1-process rate)',
             CAER_FRAMES / (16 * by_workers[1]['frames_per_s']) / 3600))
    return estimates


def memory_mib(pid: int) -> Tuple[float, float]:
    """RSS and USS of a process in MiB (Linux: ``/proc/<pid>/smaps_rollup``).

    Returns:
        tuple[float, float]: RSS and USS (private clean + private dirty);
        NaN where ``/proc`` cannot tell.
    """
    fields = {}
    try:
        with open(f'/proc/{pid}/smaps_rollup') as f:
            for line in f:
                parts = line.split()
                if len(parts) == 3 and parts[2] == 'kB':
                    fields[parts[0].rstrip(':')] = int(parts[1]) * 1024
    except OSError:
        return float('nan'), float('nan')
    uss = fields.get('Private_Clean', 0) + fields.get('Private_Dirty', 0)
    return fields.get('Rss', float('nan')) / MIB, uss / MIB


def worker_memory(variant: LoaderVariant) -> Tuple[float, float]:
    """Mean RSS and USS (MiB) of the DataLoader workers of a variant; NaN
    without workers."""
    if not variant.worker_pids:
        return float('nan'), float('nan')
    rss, uss = zip(*map(memory_mib, variant.worker_pids))
    return float(np.mean(rss)), float(np.mean(uss))


def format_mib(mib: float) -> str:
    """A memory cell: whole MiB, ``-`` for NaN (no such process)."""
    return '-' if np.isnan(mib) else f'{mib:.0f}'


def face_track_cells(row: dict) -> Tuple[str, ...]:
    """The cells of a face-track row (:func:`measure_face_tracks`)."""
    return (f'{row["workers"]} process(es)', str(row['clips']),
            str(row['frames']), f'{row["seconds"]:.1f}',
            f'{row["startup"]:.1f}', f'{row["clips_per_s"]:.2f}',
            f'{row["frames_per_s"]:.1f}')


def build_variants(cfg: Config, data_root: str, batch_size: int,
                   worker_counts: List[int],
                   cache_dir: Optional[str]) -> Dict[str, LoaderVariant]:
    """The DataLoaders of the training pipeline to time."""
    loader_cfg = copy.deepcopy(cfg.train_dataloader)
    loader_cfg['batch_size'] = batch_size
    preprocessor = MODELS.build(cfg.data_preprocessor)
    variants = {}
    for cache, workers in itertools.product([None, cache_dir], worker_counts):
        dataset_cfg = copy.deepcopy(loader_cfg['dataset'])
        dataset_cfg.update(data_root=data_root, cache_dir=cache)
        dataset = DATASETS.build(dataset_cfg)
        dataset.full_init()
        name = f'{"cached" if cache else "uncached"}, {workers} workers'
        variants[name] = LoaderVariant(
            config_loader(dataset, loader_cfg, workers), preprocessor)
    return variants


def measure_pipeline(
        args: argparse.Namespace) -> Tuple[dict, Dict[str, list], str]:
    """Clips/s and memory of the training pipeline variants.

    Returns:
        tuple[dict, dict, str]: Per variant the clips/s of the rounds and
        the memory of a worker (:func:`worker_memory`), and the load
        average.
    """
    cfg = Config.fromfile(osp.join(ROOT, args.config))
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    cv2.setNumThreads(0)
    torch.set_num_threads(1)
    # absolute: a relative cache_dir is relative to the data root
    cache_dir = osp.abspath(osp.join(args.out_dir,
                                     'cache')) if args.cache else None
    variants = build_variants(cfg, args.out_dir, args.batch_size, args.workers,
                              cache_dir)
    if args.profile:
        profile_pipeline(
            next(iter(variants.values())).loader.dataset, unit='clip')
    _, clip_rates, _, load = time_variants(variants, args.num_samples,
                                           args.rounds)
    memory = {
        name: worker_memory(variant)
        for name, variant in variants.items()
    }
    return clip_rates, memory, load


def main() -> dict:
    """Generate the clips, measure, print the tables.

    Returns:
        dict: ``clips`` and ``frames`` generated, ``face_tracks``
        (:func:`measure_face_tracks`'s rows), ``caer_hours``
        (:func:`caer_hours`), ``pipeline`` (median clips/s per variant) and
        ``memory`` (per variant, :func:`worker_memory`).
    """
    args = parse_args()
    lengths = generate_clips(args.out_dir, args.num_clips,
                             tuple(args.num_frames), args.fps,
                             args.detect_clips)
    print(f'{len(lengths)} clips of 712x400 MPEG-4 AVI at {args.fps:g} fps, '
          f'{sum(lengths)} frames ({min(lengths)}-{max(lengths)} a clip) in '
          f'{args.out_dir}; load average {os.getloadavg()[0]:.1f}')
    tracks = measure_face_tracks(args.out_dir, args.detect_workers,
                                 lengths[:args.detect_clips])
    if tracks:
        print(
            markdown_table(
                ('tools/detect_face_tracks.py (dlib HOG)', 'clips', 'frames',
                 'wall s', 'start-up s', 'clips/s', 'frames/s'),
                [face_track_cells(row) for row in tracks], 'lrrrrrr'))
    estimates = caer_hours(tracks)
    if estimates:
        print(
            markdown_table(
                (f'face tracks of all of CAER ({CAER_CLIPS:,} clips, '
                 f'{CAER_FRAMES:,} frames)', 'hours'),
                [(how, f'{hours:.1f}') for how, hours in estimates], 'lr'))
    clip_rates, memory, load = measure_pipeline(args)
    rates = medians(clip_rates)
    print(f'{args.config}, training pipeline, batch {args.batch_size}, data '
          f'preprocessor included; median of {args.rounds} rounds; {load}')
    print(
        markdown_table(
            ('variant', 'clips/s', 'rounds (clips/s)', 'RSS MiB a worker',
             'USS MiB a worker'),
            [(name, f'{rate:.1f}', format_rounds(
                clip_rates[name], '.1f'), *map(format_mib, memory[name]))
             for name, rate in rates.items()], 'lrlrr'))
    main_rss, main_uss = memory_mib(os.getpid())
    print(f'Main process (all the variants\' datasets): RSS '
          f'{main_rss:.0f} MiB, USS {main_uss:.0f} MiB.')
    return dict(
        clips=len(lengths),
        frames=sum(lengths),
        face_tracks=tracks,
        caer_hours=estimates,
        pipeline=rates,
        memory=memory)


if __name__ == '__main__':
    main()
