"""Compare PNG decoders on CAER-size frames: speed and identical pixels.

Each decoder reads the bytes of every PNG file (already in memory, so that
only the decode is timed) into a BGR uint8 array, as ``LoadImageFromFile``
gives it. A decoder whose pixels differ from OpenCV's on any file is
marked. The decoders that are not installed are skipped. The decoders run
in interleaved rounds, so that a busy machine slows them alike; the table
shows the median images/s and the ratio to OpenCV's ``cv2.imdecode``
(what MMCV's ``LoadImageFromFile`` runs). The Wuffs row is what
``WuffsLoadImageFromFile``, the configs' loader, runs: its checks of the
file's chunks and checksums included.

Without ``--folder`` two sets of 712x400 frames (CAER-S size) are written
to a temporary folder: the toy data's frames (``generate_toy_caers``,
flat synthetic scenes that compress well) and natural photographs
(scikit-image's, resized), which are costlier to decode.

Example:
    python tools/analysis_tools/benchmark_png_decode.py --threads 1
    python tools/analysis_tools/benchmark_png_decode.py \\
        --folder data/caer_s/test/Happy
"""
import argparse
import glob
import os.path as osp
import tempfile
from functools import partial
from typing import Callable, Dict, List

import cv2
import numpy as np

from glamor_mm.utils import interleaved_rounds, medians, throughput
from glamor_mm.utils.wuffs_png import decode_plain_png, wuffs_available
from analysis_cli import add_rounds_arguments, format_rounds, markdown_table

CAER_SIZE = (400, 712)  # (H, W) of CAER-S pictures


def decoders() -> Dict[str, Callable[[bytes], np.ndarray]]:
    """The installed decoders: name -> (PNG bytes -> BGR uint8 array)."""
    found = {
        'opencv (cv2.imdecode)':
        lambda data: cv2.imdecode(
            np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR),
    }
    try:
        import io

        from PIL import Image
        found['pillow'] = lambda data: np.ascontiguousarray(
            np.asarray(Image.open(io.BytesIO(data)).convert('RGB'))[..., ::-1])
    except ImportError:
        pass
    try:
        import pyspng
        found['pyspng (libspng)'] = lambda data: np.ascontiguousarray(
            pyspng.load(data)[..., 2::-1])
    except ImportError:
        pass
    try:
        import imagecodecs
        for name in ('png', 'spng'):
            decode = getattr(imagecodecs, f'{name}_decode')
            found[f'imagecodecs.{name}_decode'] = (
                lambda data, decode=decode: np.ascontiguousarray(
                    decode(data)[..., 2::-1]))
    except ImportError:
        pass
    if wuffs_available():
        # what WuffsLoadImageFromFile runs: the chunk checks, then Wuffs, or
        # OpenCV for files that are not plain 8-bit grey or RGB PNG files
        def wuffs_or_opencv(data: bytes) -> np.ndarray:
            img = decode_plain_png(data)
            return found['opencv (cv2.imdecode)'](data) if img is None else img

        found['wuffs (WuffsLoadImageFromFile)'] = wuffs_or_opencv
    return found


def write_frames(folder: str, count: int) -> Dict[str, List[str]]:
    """Write ``count`` toy frames and ``count`` natural photographs."""
    from glamor_mm.datasets.toy.caers import generate_toy_caers
    generate_toy_caers(
        osp.join(folder, 'toy'),
        num_per_class=dict(train=-(-count // 7), val=0, test=0),
        img_size=CAER_SIZE)
    toy = sorted(glob.glob(osp.join(folder, 'toy', 'train', '*', '*.png')))
    from skimage import data as skdata
    photos = []
    names = ('astronaut', 'coffee', 'chelsea', 'rocket', 'cat',
             'immunohistochemistry')
    for i in range(count):
        image = getattr(skdata, names[i % len(names)])()[..., ::-1]
        image = cv2.resize(image, CAER_SIZE[::-1])
        image = np.roll(image, 7 * i, axis=1)  # no two files the same
        photos.append(osp.join(folder, f'photo_{i:03d}.png'))
        cv2.imwrite(photos[-1], image)
    return dict(toy=toy[:count], photos=photos)


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Images/s and pixel equality of PNG decoders.')
    parser.add_argument(
        '--folder', help='PNG files to decode (default: generated frames)')
    parser.add_argument(
        '--num-files',
        type=int,
        default=24,
        help='generated frames per set (default 24)')
    parser.add_argument(
        '--seconds',
        type=float,
        default=1.,
        help='time per decoder and round (default 1)')
    add_rounds_arguments(parser, rounds=3, threads='OpenCV threads')
    return parser.parse_args()


def main() -> Dict[str, Dict[str, float]]:
    """Time the decoders on each set and print a table per set.

    Returns:
        dict: Set -> decoder -> median images/s (0 for a decoder whose
        pixels differ from OpenCV's).
    """
    args = parse_args()
    cv2.setNumThreads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        sets = (dict(folder=sorted(glob.glob(osp.join(args.folder, '*.png'))))
                if args.folder else write_frames(tmp, args.num_files))
        contents = {
            name: [open(path, 'rb').read() for path in paths]
            for name, paths in sets.items()
        }
    found = decoders()
    rates = {}
    for set_name, files in contents.items():
        if not files:
            raise FileNotFoundError(f'{args.folder}: no .png files.')
        reference = [found['opencv (cv2.imdecode)'](data) for data in files]
        measures = {}
        for name, decode in found.items():
            try:
                same = all(
                    np.array_equal(decode(data), ref)
                    for data, ref in zip(files, reference))
            except Exception as e:  # a decoder that fails is reported
                print(f'{name}: fails on these files ({e}), not timed')
                continue
            if same:
                measures[name] = partial(
                    throughput,
                    lambda decode=decode: [decode(data) for data in files],
                    len(files),
                    min_seconds=args.seconds,
                    warmup_calls=1)
            else:
                print(f'{name}: pixels differ from OpenCV\'s, not timed')
        rounds = interleaved_rounds(measures, args.rounds)
        rates[set_name] = medians(rounds.results)
        base = rates[set_name]['opencv (cv2.imdecode)']
        megabytes = sum(map(len, files)) / len(files) / 1e6
        print(f'\n{set_name}: {len(files)} PNG files of '
              f'{"x".join(map(str, reference[0].shape[1::-1]))}, '
              f'{megabytes:.2f} MB each; median of {args.rounds} rounds, '
              f'{args.threads} thread(s); {rounds.load}')
        print(
            markdown_table(
                ('decoder', 'images/s', 'vs OpenCV', 'rounds'),
                [(name, f'{rate:.1f}', f'{rate / base:.2f}x',
                  format_rounds(rounds.results[name]))
                 for name, rate in rates[set_name].items()], 'lrrl'))
    return rates


if __name__ == '__main__':
    main()
