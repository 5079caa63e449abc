"""Space-time attention over the frames of guided toy video clips.

Reads a prediction dump of a clip model with attention (``tools/test.py
--out``) on the guided toy videos (``generate_toy_caer_videos.py --mode
guided``) and writes a PNG with one row per video: the frames of one of its
clips with the attention of their time step overlaid, on one colour scale
for the whole clip (a softmax over time and space spreads one unit of mass
over all of them). The named object is outlined (white; yellow in the frames
where it flashes its mark), and each frame is labelled with the share of the
clip's attention in its time step and the part of it on the named object
(``1: 30% (12%)``; ``*`` when the named object flashes). A first tile
gives the true and the predicted class.

Example::

    python tools/visualization/vis_clip_attention.py video_preds.pkl \\
        --num 4 --out docs/_static/guided_video_attention.png
"""
import argparse
import os.path as osp
from typing import List, Optional, Sequence

import cv2
import mmcv
import numpy as np
from mmengine.utils import mkdir_or_exist

from glamor_mm.datasets import CAER_CLASSES
from glamor_mm.datasets.toy.guided_videos import guided_video_frame_cues
from glamor_mm.datasets.transforms.load_video_frames import \
    read_frames_opencv
from glamor_mm.evaluation import (attention_mass_on_masks, dump_array,
                                  load_dump_results)
from glamor_mm.visualization.face_emotion_visualizer import put_label


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Attention over the frames of guided toy video clips, '
        'from a prediction dump.')
    parser.add_argument('dump', help='prediction dump (tools/test.py --out)')
    parser.add_argument(
        '--indices',
        type=int,
        nargs='+',
        default=None,
        help='videos of the dump (default: --num spread over the dump)')
    parser.add_argument('--num', type=int, default=4, help='number of videos')
    parser.add_argument(
        '--clip', type=int, default=0, help='clip of each video (default 0)')
    parser.add_argument(
        '--scale', type=int, default=2, help='frame upscaling (default 2)')
    parser.add_argument(
        '--out',
        default='outputs/clip_attention.png',
        help='output PNG (default outputs/clip_attention.png)')
    return parser.parse_args(argv)


def clip_attention_row(result: dict, clip: int, scale: int) -> np.ndarray:
    """The frames of one clip with their attention, side by side (BGR).

    Args:
        result (dict): A dumped video with ``attention`` (K, T', H', W'),
            ``video_path``, ``frame_inds``, ``clip_len``, ``face_bboxes``,
            ``gt_label`` and ``pred_label``.
        clip (int): Which of the K clips.
        scale (int): Upscaling of the frames.

    Returns:
        np.ndarray: The row, ``H·scale x (clip_len + 1/2)·W·scale x 3``
        uint8: a tile with the true and predicted class, then the frames.
    """
    attention = dump_array(result['attention']).astype(np.float64)
    if attention.ndim != 4 or not 0 <= clip < len(attention):
        raise ValueError(
            f'{result.get("video_path")}: no clip {clip} in attention maps '
            f'of shape {attention.shape} (K x T\' x H\' x W\' expected).')
    clip_len = int(result['clip_len'])
    maps = attention[clip]
    inds = dump_array(result['frame_inds']).reshape(len(attention),
                                                    clip_len)[clip].tolist()
    frames = read_frames_opencv(result['video_path'], inds)
    maps = maps / maps.sum()  # a per-step softmax (CAER-Net) counts 1/T'
    peak = maps.max()
    tiles = []
    for j, (frame, index) in enumerate(zip(frames, inds)):
        step = maps[j * len(maps) // clip_len]
        h, w = frame.shape[:2]
        heat = cv2.resize(
            (255 * step / peak).astype(np.uint8), (w, h),
            interpolation=cv2.INTER_NEAREST)
        tile = cv2.addWeighted(frame, 0.6,
                               cv2.applyColorMap(heat, cv2.COLORMAP_JET), 0.4,
                               0)
        masks, target, shown = guided_video_frame_cues(
            frame, dump_array(result['face_bboxes'][index]))
        text = f'{j}: {100 * step.sum():.0f}%'
        if target is not None and masks[target].any():
            ys, xs = np.nonzero(masks[target])
            cv2.rectangle(tile, (int(xs.min()) - 1, int(ys.min()) - 1),
                          (int(xs.max()) + 1, int(ys.max()) + 1),
                          (0, 255, 255) if shown[target] else (255, 255, 255),
                          1)
            mass = float(
                attention_mass_on_masks(step, masks[target:target + 1])[0])
            text += f' ({100 * mass:.0f}%)' + (' *' if shown[target] else '')
        tile = cv2.resize(
            tile, (w * scale, h * scale), interpolation=cv2.INTER_NEAREST)
        tiles.append(put_label(tile, text))
    # a first tile with the true and the predicted class
    title = np.zeros((h * scale, w * scale // 2, 3), np.uint8)
    for k, (name, key) in enumerate(
        (('true', 'gt_label'), ('pred', 'pred_label'))):
        label = CAER_CLASSES[int(dump_array(result[key]).ravel()[0])]
        for line, text in enumerate((name, label)):
            cv2.putText(title, text, (4, 20 + 22 * (2 * k + line)),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.55, (255, 255, 255), 1,
                        cv2.LINE_AA)
    return np.concatenate([title] + tiles, axis=1)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    results = load_dump_results(args.dump)
    indices: List[int] = args.indices or np.linspace(
        0,
        len(results) - 1, args.num).round().astype(int).tolist()
    rows = [
        clip_attention_row(results[i], args.clip, args.scale) for i in indices
    ]
    mkdir_or_exist(osp.dirname(osp.abspath(args.out)))
    mmcv.imwrite(np.concatenate(rows, axis=0), args.out)
    print(f'Wrote {len(rows)} clips to {args.out}.')


if __name__ == '__main__':
    main()
