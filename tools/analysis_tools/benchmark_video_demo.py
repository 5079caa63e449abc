"""Time demo/video_demo.py end to end on a generated 712x400 MPEG-4 clip.

1. Makes a 300-frame 712x400 MPEG-4 clip at 30 fps from real photographs
   (scikit-image's astronaut and coffee, matplotlib's grace_hopper): the
   astronaut's head moves around the coffee picture for the whole clip,
   Grace Hopper's comes in for the middle half (1-2 faces).
2. Runs the demo on it (a subprocess each, as a user would) for the image
   model (``--config``; random weights, whose BatchNorm statistics are set
   on the clip's faces so that their labels vary, unless ``--checkpoint``;
   exported to ONNX for the ONNX Runtime runs) with PyTorch and ONNX Runtime:
   ``plain`` (detection and classification on every frame, the old demo)
   and ``fast`` (the demo's defaults: detection every 5th frame, tracking in
   between, classification every 2nd frame); with ``--show``, the fast
   runs again with the demo's ``--show`` (each frame shown with
   ``cv2.imshow`` and ``cv2.waitKey(1)``: a display is needed, e.g. the
   virtual one of ``xvfb-run``).
3. Prints, per run, the per-stage table (decode, detect, track, classify,
   draw, encode: ms per frame and share; decode and encode run in their own
   threads, so the stages overlap), the end-to-end frames/s and the model
   load time; the label agreement of each fast run with the plain PyTorch
   run (per face followed by the plain run: the share of its frames where
   the fast run reports the same face, IoU >= 0.3, with the same label);
   and the frames/s of the clip mode for clip models (``--clip-configs``,
   CAER-Net at the toy and the paper sizes, each window classified on every
   sampled frame or every 8th: ``--clip-strides``).

Examples (2 CPU cores):
    python tools/analysis_tools/benchmark_video_demo.py \\
        --out-dir work_dirs/benchmark_video_demo
    # --show on a machine without a screen: a virtual X display
    xvfb-run -a python tools/analysis_tools/benchmark_video_demo.py --show
"""
import argparse
import itertools
import json
import os
import os.path as osp
import re
import subprocess
import sys
from collections import defaultdict
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np
import torch
from matplotlib import cbook

from glamor_mm.apis import VideoFileWriter, has_display
from glamor_mm.apis.face_tracker import match_by_iou

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
SIZE = (712, 400)  # W, H: CAER's frame size
FPS = 30
CLIP_CONFIGS = dict(
    toy='configs/video/caernet-f-c-ca_original3d_1xb8-40e_toy-videos.py',
    paper='configs/video/caernet_original3d_1xb32-12e_caer.py')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--config',
        default='configs/glamor/glamor_original_1xb32-12e_toy.py',
        help='image model config (original GLAMOR-Net by default)')
    parser.add_argument(
        '--checkpoint',
        default=None,
        help='its checkpoint (default: random weights, seed 0, BatchNorm '
        'statistics set on the clip so that the labels vary)')
    parser.add_argument(
        '--out-dir',
        default='work_dirs/benchmark_video_demo',
        help='folder of the clip, the weights and the outputs')
    parser.add_argument('--frames', type=int, default=300)
    parser.add_argument(
        '--demo-args',
        default='',
        help='extra arguments of the fast runs, e.g. "--detect-every 3"')
    parser.add_argument(
        '--show',
        action='store_true',
        help='also time the fast runs with the demo\'s --show (needs a '
        'display; headless: xvfb-run -a python ...)')
    parser.add_argument(
        '--clip-configs',
        nargs='*',
        default=list(CLIP_CONFIGS),
        help='clip-mode runs: toy, paper or config paths (none: skip)')
    parser.add_argument(
        '--clip-strides',
        type=int,
        nargs='+',
        default=[1, 8],
        help='--clip-stride values of the clip-mode runs')
    parser.add_argument(
        '--clip-frames',
        type=int,
        default=None,
        help='frames of the clip-mode runs (default: --frames)')
    return parser.parse_args()


def head(img: np.ndarray, box: tuple, width: int) -> np.ndarray:
    """The ``box`` (x1, y1, x2, y2) of ``img`` resized to ``width``."""
    x1, y1, x2, y2 = box
    crop = img[y1:y2, x1:x2]
    height = round(crop.shape[0] * width / crop.shape[1])
    return cv2.resize(crop, (width, height), interpolation=cv2.INTER_AREA)


def photo_heads(astronaut_width: int,
                grace_width: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The background and the two heads of the generated clips, BGR uint8.

    Args:
        astronaut_width (int): Width of scikit-image's astronaut's head.
        grace_width (int): Width of matplotlib's Grace Hopper's head.

    Returns:
        tuple: scikit-image's coffee picture resized to ``SIZE``, and the
        two heads.
    """
    from skimage import data
    background = cv2.resize(data.coffee()[..., ::-1], SIZE)
    astronaut = head(data.astronaut()[..., ::-1], (130, 20, 320, 230),
                     astronaut_width)
    grace = head(
        cv2.imread(cbook.get_sample_data('grace_hopper.jpg', asfileobj=False)),
        (120, 60, 420, 420), grace_width)
    return background, astronaut, grace


def paste(frame: np.ndarray, img: np.ndarray, x: int, y: int) -> None:
    """Paste ``img`` into ``frame`` at ``(x, y)``, cut at the borders."""
    h = min(img.shape[0], frame.shape[0] - y)
    w = min(img.shape[1], frame.shape[1] - x)
    frame[y:y + h, x:x + w] = img[:h, :w]


def make_clip(path: str, num_frames: int) -> None:
    """Write the benchmark clip (see the module docstring)."""
    background, astronaut, grace = photo_heads(220, 200)
    with VideoFileWriter(path, FPS, SIZE) as writer:
        for t in range(num_frames):
            frame = background.copy()
            phase = 2 * np.pi * t / num_frames
            paste(frame, astronaut, int(20 + 110 * (1 - np.cos(phase))),
                  int(70 + 60 * np.sin(2 * phase)))
            if num_frames * 0.3 <= t < num_frames * 0.8:
                paste(frame, grace, int(470 + 30 * np.sin(3 * phase)),
                      int(40 + 20 * np.cos(3 * phase)))
            writer.write(np.ascontiguousarray(frame))


def calibrate_batch_norm(model: torch.nn.Module, inferencer,
                         frames: List[np.ndarray]) -> None:
    """Set the BatchNorm statistics of a random model on ``frames``' faces.

    Freshly initialised, the model gives nearly the same scores to every
    face (the same label everywhere, so any two pipelines would agree);
    with its BatchNorm statistics measured on the clip's faces, its labels
    change with the face and the context, which makes the agreement test
    a real one.
    """
    faces, contexts = [], []
    for frame in frames:
        picture = inferencer.prepare(frame)
        for face in picture['inputs']['face']:
            faces.append(face)
            contexts.append(picture['inputs']['context'][0])
    for module in model.modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            module.reset_running_stats()
            module.momentum = None  # the plain average over the batch
    model.train()
    with torch.no_grad():
        data = model.data_preprocessor(
            dict(inputs=dict(face=faces, context=contexts)), False)
        model.head(model.extract_feat(data['inputs']))
    model.eval()


def make_weights(config: str, checkpoint: Optional[str], clip: str,
                 out_dir: str) -> Dict[str, str]:
    """The checkpoint and its ONNX export.

    Without a checkpoint: random weights (seed 0) with BatchNorm statistics
    set on every 10th frame of the clip (:func:`calibrate_batch_norm`).
    """
    from glamor_mm.apis import GlamorInferencer, read_video_frames
    from glamor_mm.deployment import (export_face_onnx, export_onnx,
                                      face_crop_shape, pipeline_view_shapes)
    torch.manual_seed(0)
    inferencer = GlamorInferencer(config, checkpoint, det_score_thr=0.3)
    model = inferencer.model
    if not checkpoint:
        frames = list(itertools.islice(read_video_frames(clip), 0, None, 10))
        calibrate_batch_norm(model, inferencer, frames)
        checkpoint = osp.join(out_dir, 'random.pth')
        torch.save(dict(state_dict=model.state_dict()), checkpoint)
    onnx = osp.join(out_dir, 'model.onnx')
    if inferencer.face_only:
        export_face_onnx(
            model.eval(),
            onnx,
            face_crop_shape(inferencer.config),
            classes=inferencer.classes)
    else:
        export_onnx(
            model.eval(),
            onnx,
            *pipeline_view_shapes(inferencer.config),
            classes=inferencer.classes)
    return dict(pytorch=checkpoint, onnxruntime=onnx)


def run_demo(name: str, args: List[str], out_dir: str) -> dict:
    """Run the demo; its stage table, frames/s and load time."""
    faces = osp.join(out_dir, f'{name}.jsonl')
    command = [
        sys.executable,
        osp.join(ROOT, 'demo', 'video_demo.py'), *args, '--out',
        osp.join(out_dir, f'{name}.mp4'), '--out-faces', faces, '--profile'
    ]
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    print(f'[{name}]', ' '.join(command[1:]), flush=True)
    proc = subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=ROOT)
    if proc.returncode:
        raise SystemExit(f'{name} failed:\n{proc.stderr[-3000:]}')
    out = proc.stdout
    summary = re.search(r'(\d+) frames in ([\d.]+) s \(([\d.]+) fps\)', out)
    load = re.search(r'Models loaded in ([\d.]+) s', out)
    table = '\n'.join(line for line in out.splitlines()
                      if line.startswith('|'))
    return dict(
        name=name,
        frames=int(summary.group(1)),
        seconds=float(summary.group(2)),
        fps=float(summary.group(3)),
        load=float(load.group(1)),
        table=table,
        faces=faces)


def read_faces(path: str) -> List[List[dict]]:
    """The per-frame faces of an ``--out-faces`` file."""
    with open(path) as f:
        return [json.loads(line)['faces'] for line in f]


def agreement(reference: str, other: str) -> Dict[int, tuple]:
    """Per face followed by ``reference``: (frames, frames that agree).

    A frame agrees when ``other`` has a face overlapping the reference's
    (IoU >= 0.3, matched greedily) with the same label.
    """
    counts = defaultdict(lambda: [0, 0])
    for ref, new in zip(read_faces(reference), read_faces(other)):
        boxes = [
            torch.tensor([f['bbox'] for f in faces]).reshape(-1, 4)
            for faces in (ref, new)
        ]
        matched = match_by_iou(boxes[0], boxes[1], 0.3)
        for i, face in enumerate(ref):
            counts[face['track_id']][0] += 1
            j = matched.get(i)
            if j is not None and new[j]['label'] == face['label']:
                counts[face['track_id']][1] += 1
    return {k: tuple(v) for k, v in sorted(counts.items())}


def label_stability(path: str) -> List[str]:
    """Per face of an ``--out-faces`` file: its labels, how often the label
    changes, and the median margin between its two best scores (near 0: a
    tie, which any change of the pipeline may flip)."""
    labels, margins = defaultdict(list), defaultdict(list)
    for faces in read_faces(path):
        for face in faces:
            labels[face['track_id']].append(face['label'])
            top = sorted(face['scores'], reverse=True)
            margins[face['track_id']].append(top[0] - top[1])
    lines = []
    for track, seq in sorted(labels.items()):
        if len(seq) < 10:
            continue
        counts = {k: seq.count(k) for k in sorted(set(seq))}
        changes = sum(a != b for a, b in zip(seq, seq[1:]))
        lines.append(f'face #{track}: labels {counts}, {changes} changes, '
                     'median top-2 score margin '
                     f'{np.median(margins[track]):.4f}')
    return lines


def print_run(run: dict, note: Optional[str] = None) -> None:
    print(f"\n### {run['name']}{note or ''}\n")
    print(run['table'])
    print(f"\nend to end: {run['frames']} frames in {run['seconds']:.1f} s "
          f"({run['fps']:.1f} fps); models loaded in {run['load']:.1f} s")


def main() -> None:
    args = parse_args()
    if args.show and not has_display():
        raise SystemExit(
            '--show needs a display (DISPLAY is not set). On a machine '
            'without a screen, run the benchmark under a virtual one: '
            'xvfb-run -a python tools/analysis_tools/benchmark_video_demo.py '
            '--show ...')
    out_dir = osp.abspath(args.out_dir)
    os.makedirs(out_dir, exist_ok=True)
    clip = osp.join(out_dir, 'clip.mp4')
    make_clip(clip, args.frames)
    print(f'clip: {clip} ({args.frames} frames, {SIZE[0]}x{SIZE[1]}, MPEG-4 '
          f'at {FPS} fps); cores: {os.cpu_count()}')
    config = osp.join(
        ROOT, args.config) if not osp.isabs(args.config) else args.config
    weights = make_weights(config, args.checkpoint, clip, out_dir)
    runs = []
    plain = ['--detect-every', '1', '--classify-every', '1']
    fast = args.demo_args.split()
    variants = [('plain', plain), ('fast', fast)]
    if args.show:
        variants.append(('fast-show', ['--show', *fast]))
    for speed, extra in variants:
        for backend in ('pytorch', 'onnxruntime'):
            runs.append(
                run_demo(f'{speed}-{backend}', [
                    clip, config, weights[backend], '--backend', backend,
                    *extra
                ], out_dir))
    print('\n## Image model (stages in ms per frame)')
    for run in runs:
        print_run(run)
    print('\n## Label agreement with plain-pytorch (per followed face: '
          'frames, agreeing, share)\n')
    reference = runs[0]['faces']
    print(f"{runs[0]['name']}'s own labels:")
    for line in label_stability(reference):
        print(f'- {line}')
    print()
    for run in runs[1:]:
        parts = [
            f'face #{k}: {n} frames, {a} agree ({100 * a / n:.1f} %)'
            for k, (n, a) in agreement(reference, run['faces']).items()
            if n >= 10  # short-lived false detections are left out
        ]
        print(f"- {run['name']}: " + '; '.join(parts))
    print('\n## Summary (end-to-end frames/s)\n')
    print('| run | fps | load (s) |\n| --- | ---: | ---: |')
    for run in runs:
        print(f"| {run['name']} | {run['fps']:.1f} | {run['load']:.1f} |")
    clip_runs = []
    for name, stride in itertools.product(args.clip_configs,
                                          args.clip_strides):
        clip_config = osp.join(ROOT, CLIP_CONFIGS.get(name, name))
        extra = ['--clip-stride', str(stride)]
        if args.clip_frames:
            extra += ['--max-frames', str(args.clip_frames)]
        clip_runs.append(
            run_demo(f'clip-{name}-stride{stride}',
                     [clip, clip_config, *extra], out_dir))
    for run in clip_runs:
        print_run(run, ' (clip mode, PyTorch, random weights)')
    if clip_runs:
        print('\nThe clip mode keeps up with a stream when its frames/s '
              f'reach the video\'s ({FPS} fps here).')


if __name__ == '__main__':
    main()
