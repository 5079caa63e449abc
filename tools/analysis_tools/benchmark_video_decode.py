"""Compare video decoders on the frames the CAER clip sampler asks for.

For every video, :class:`SampleClipFrames` chooses the frames of one
training clip (16 frames at 10 fps from a random start) or of all test
clips (16/8 sliding clips); each decoder then decodes them:

- ``glamor_mm-opencv`` / ``glamor_mm-decord``: :class:`LoadVideoFrames`
  with its two backends (BGR frames);
- ``mmaction2-decord``: MMAction2's ``DecordInit`` + ``DecordDecode``;
- ``mmaction2-opencv``: MMAction2's ``OpenCVInit`` + ``OpenCVDecode``
  (MMCV's ``VideoReader``).

Decoders run in interleaved rounds in one process with one thread
(``--rounds``), so that a busy machine slows them alike; the table shows the
median clips/s of the rounds.

Example (the README's numbers)::

    python tools/dataset_converters/generate_toy_caer_videos.py \\
        data/bench_videos_toy --num-train-per-class 4 \\
        --num-validation-per-class 0 --num-test-per-class 0
    python tools/dataset_converters/generate_toy_caer_videos.py \\
        data/bench_videos_caer --frame-size 400 712 --num-frames 90 90 \\
        --fps 30 --fourcc XVID --num-train-per-class 2 \\
        --num-validation-per-class 0 --num-test-per-class 0
    python tools/analysis_tools/benchmark_video_decode.py \\
        data/bench_videos_toy data/bench_videos_caer
"""
import argparse
import glob
import os.path as osp
import time
from functools import partial
from typing import Callable, Dict, List

import cv2
import numpy as np
import torch
from mmengine.registry import init_default_scope
from mmpretrain.registry import TRANSFORMS

import glamor_mm  # noqa: F401  (registers the transforms)
from glamor_mm.datasets.base_emotion_dataset import VIDEO_EXTENSIONS
from glamor_mm.utils import interleaved_rounds, medians
from analysis_cli import add_rounds_arguments


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Clips/s of video decoders on CAER-style clips.')
    parser.add_argument(
        'video_dirs', nargs='+', help='folders searched for videos')
    add_rounds_arguments(parser, rounds=3)
    parser.add_argument(
        '--clip-len', type=int, default=16, help='frames a clip (default 16)')
    return parser.parse_args()


def decoders() -> Dict[str, Callable[[dict], list]]:
    """The decoders to compare: ``name -> results -> frames``."""
    found = {
        f'glamor_mm-{backend}':
        TRANSFORMS.build(dict(type='LoadVideoFrames', backend=backend))
        for backend in ('opencv', 'decord')
    }
    try:
        from mmaction.datasets.transforms import (DecordDecode, DecordInit,
                                                  OpenCVDecode, OpenCVInit)
    except ImportError as e:
        print(f'MMAction2 is not importable ({e}); left out.')
    else:
        found['mmaction2-decord'] = (DecordInit(), DecordDecode())
        found['mmaction2-opencv'] = (OpenCVInit(), OpenCVDecode())

    def run(transforms) -> Callable[[dict], list]:
        transforms = transforms if isinstance(transforms,
                                              tuple) else (transforms, )

        def decode(results: dict) -> list:
            results = dict(results, filename=results['video_path'])
            for t in transforms:
                results = t(results)
            return results['imgs']

        return decode

    return {name: run(t) for name, t in found.items()}


def time_decoder(decode: Callable[[dict], list], samples: List[dict]) -> float:
    """Clips/s of one decoder over the sampled videos."""
    start = time.perf_counter()
    clips = 0
    for results in samples:
        frames = decode(results)
        assert len(frames) == len(results['frame_inds'])
        clips += results['num_clips']
    return clips / (time.perf_counter() - start)


def main() -> None:
    """Time every decoder on the training and the test clips."""
    args = parse_args()
    init_default_scope('mmpretrain')
    cv2.setNumThreads(1)
    torch.set_num_threads(1)
    for video_dir in args.video_dirs:
        paths = sorted(
            p
            for p in glob.glob(osp.join(video_dir, '**', '*'), recursive=True)
            if p.lower().endswith(VIDEO_EXTENSIONS))
        if not paths:
            raise FileNotFoundError(f'No video found in {video_dir}.')
        capture = cv2.VideoCapture(paths[0])
        fps = capture.get(cv2.CAP_PROP_FPS)
        size = (int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
                int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)))
        capture.release()
        print(f'{video_dir}: {len(paths)} videos, {size[0]}x{size[1]}, '
              f'{fps:g} fps')
        np.random.seed(0)
        samples = {}
        for mode in ('train', 'test'):
            sampler = TRANSFORMS.build(
                dict(
                    type='SampleClipFrames',
                    clip_len=args.clip_len,
                    stride=args.clip_len // 2,
                    test_mode=mode == 'test'))
            samples[mode] = []
            for path in paths:
                capture = cv2.VideoCapture(path)
                results = dict(
                    video_path=path,
                    total_frames=int(capture.get(cv2.CAP_PROP_FRAME_COUNT)),
                    avg_fps=capture.get(cv2.CAP_PROP_FPS))
                capture.release()
                samples[mode].append(sampler(results))
        decs = decoders()
        for decode in decs.values():
            decode(samples['train'][0])  # warm-up
        measures = {
            (name, mode): partial(time_decoder, decode, samples[mode])
            for name, decode in decs.items()
            for mode in ('train', 'test')
        }
        speeds = medians(interleaved_rounds(measures, args.rounds).results)
        print(f'  {"decoder":<18} {"train clips/s":>14} {"test clips/s":>13}')
        for name in decs:
            print(f'  {name:<18} {speeds[(name, "train")]:14.1f} '
                  f'{speeds[(name, "test")]:13.1f}')


if __name__ == '__main__':
    main()
