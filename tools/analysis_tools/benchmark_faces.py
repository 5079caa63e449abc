"""Time the face detectors and the in-the-wild inference per picture.

1. Per-image time of each face detector config on real photographs shipped
   with matplotlib / scikit-image (and a CAER-S-sized 712x400 picture).
2. Cost of a picture with 1, 2, 4 and 8 faces (copies of a photo tiled
   into a fixed 1024x600 canvas, so that detection sees the same number of
   pixels): detection, then classification with ``GlamorInferencer`` (one
   context pass per picture, counted with a forward hook) against a
   full model pass per face.

Example (one CPU core, as in the README):
    python tools/analysis_tools/benchmark_faces.py --threads 1
"""
import argparse
import time
from typing import Callable, Dict, List, Tuple

import cv2
import numpy as np
import torch
from matplotlib import cbook

from glamor_mm.apis import GlamorInferencer, detect_faces, init_face_detector

CANVAS = (600, 1024)  # H, W
GRID = (2, 4)  # rows, cols of face tiles


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--detectors',
        nargs='+',
        default=[
            'configs/face_detectors/dlib_hog.py',
            'configs/face_detectors/dlib_cnn.py'
        ],
        help='face detector configs to time (upsample 0 in the shipped ones)')
    parser.add_argument(
        '--config',
        default='configs/glamor/glamor_original_1xb32-12e_toy.py',
        help='classifier config for the faces benchmark')
    parser.add_argument('--checkpoint', default=None)
    parser.add_argument(
        '--faces',
        type=int,
        nargs='+',
        default=[1, 2, 4, 8],
        help='numbers of faces per picture (at most 8)')
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument(
        '--threads', type=int, default=None, help='torch CPU threads')
    return parser.parse_args()


def photos() -> Dict[str, np.ndarray]:
    """BGR test photos: grace_hopper, astronaut, a 712x400 scene."""
    from skimage import data
    grace = cv2.imread(
        cbook.get_sample_data('grace_hopper.jpg', asfileobj=False))
    astronaut = np.ascontiguousarray(data.astronaut()[..., ::-1])
    scene = np.full((400, 712, 3), 127, np.uint8)  # CAER-S frame size
    scene[50:350, 228:484] = cv2.resize(grace, (256, 300))
    return dict(
        grace_hopper=grace, astronaut=astronaut, caer_sized_712x400=scene)


def timed(fn: Callable, repeat: int) -> Tuple[float, float]:
    """Median wall and CPU time of ``fn()`` in ms (after one warm-up).

    The CPU time (of this process) is the robust figure on a shared
    machine; with one thread it is what an idle core would take.
    """
    fn()
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return 1000 * float(np.median(wall)), 1000 * float(np.median(cpu))


def tiled(photo: np.ndarray, num_faces: int) -> np.ndarray:
    """``num_faces`` copies of ``photo`` in a fixed-size canvas."""
    rows, cols = GRID
    if not 1 <= num_faces <= rows * cols:
        raise ValueError(f'1 to {rows * cols} faces, got {num_faces}.')
    h, w = CANVAS[0] // rows, CANVAS[1] // cols
    canvas = np.full(CANVAS + (3, ), 127, np.uint8)
    tile = cv2.resize(photo, (w, h))
    for k in range(num_faces):
        r, c = divmod(k, cols)
        canvas[r * h:(r + 1) * h, c * w:(c + 1) * w] = tile
    return canvas


def benchmark_detectors(args: argparse.Namespace) -> None:
    print('| detector | image | size (WxH) | faces | wall ms | CPU ms |')
    print('|---|---|---|---|---|---|')
    for config in args.detectors:
        try:
            model = init_face_detector(config)
        except (ImportError, FileNotFoundError) as e:
            print(f'| {config} | skipped: {e} | | | | |')
            continue
        for name, img in photos().items():
            faces = len(detect_faces(model, img)[0][0])
            wall, cpu = timed(lambda: detect_faces(model, img), args.repeat)
            print(f'| {config.split("/")[-1]} | {name} | '
                  f'{img.shape[1]}x{img.shape[0]} | {faces} | {wall:.0f} | '
                  f'{cpu:.0f} |')


def benchmark_faces(args: argparse.Namespace) -> None:
    inferencer = GlamorInferencer(
        args.config, args.checkpoint, detector=args.detectors[0], device='cpu')
    model = inferencer.model
    calls: List[int] = []
    hook = model.context_backbone.register_forward_hook(
        lambda m, inputs, out: calls.append(inputs[0].shape[0]))
    grace = photos()['grace_hopper']
    print(f'\nPicture {CANVAS[1]}x{CANVAS[0]}, detector '
          f'{args.detectors[0].split("/")[-1]}, classifier '
          f'{args.config.split("/")[-1]}\n')
    print('Times in ms, wall / CPU.\n')
    print('| faces | detected | context passes | detection | '
          'classification (one context pass) | '
          'classification (one full pass per face) |')
    print('|---|---|---|---|---|---|')
    for num_faces in args.faces:
        img = tiled(grace, num_faces)
        picture = inferencer.prepare(img)
        found = len(picture['bboxes'])
        calls.clear()
        inferencer.forward([dict(picture)])
        passes = len(calls)
        detect_ms = timed(lambda: detect_faces(inferencer.detector, img),
                          args.repeat)
        shared_ms = timed(lambda: inferencer.forward([dict(picture)]),
                          args.repeat)

        def per_face():
            data = model.data_preprocessor(dict(inputs=picture['inputs']))
            faces, context = data['inputs']['face'], data['inputs']['context']
            for k in range(len(faces)):
                model.predict(dict(face=faces[k:k + 1], context=context))

        with torch.no_grad():
            naive_ms = timed(per_face, args.repeat)
        print(f'| {num_faces} | {found} | {passes} | '
              f'{detect_ms[0]:.0f} / {detect_ms[1]:.0f} | '
              f'{shared_ms[0]:.1f} / {shared_ms[1]:.1f} | '
              f'{naive_ms[0]:.1f} / {naive_ms[1]:.1f} |')
    hook.remove()


def main() -> None:
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    benchmark_detectors(args)
    benchmark_faces(args)


if __name__ == '__main__':
    main()
