# Copyright (c) glamor_mm contributors.
"""Does the attention sit on the object the face names? (guided toy data)

On scenes of ``generate_toy_caers.py --mode guided`` the hat on the face
names one of four coloured objects, and only that object's mark sets the
label (with the face cue). This tool reads a prediction dump of such a test
split (a model with an attention map: GLA or CAER-Net-S context attention),
finds the objects and the named one from the pixels of every scene, and
reports:

- the mean attention mass on the map cells the named object touches, next to
  the mass uniform attention would give those cells;
- the mean mass on the most attended other object;
- the hit rate: how often the named object gets more mass than each of the
  others (25 % by chance with four objects).

A dump of clip models on the guided toy *videos*
(``generate_toy_caer_videos.py --mode guided``: three objects, each
flashing its mark in 2 frames of every 4) is recognised by its
``video_path``. The attention map of every clip (T' x H' x W') is read per
time step, each step covering ``clip_len / T'`` frames; the numbers are
means over all clips, and two more tell *when* the attention looks:

- the mass on the named object in the time steps where it flashes its mark,
  next to what uniform attention gives those cells and steps;
- the share of the named object's mass that falls in those steps, next to
  the share of those steps among all (what attention spread evenly over
  time would give).

Examples::

    python tools/test.py configs/toy/on_toy_guided.py epoch_45.pth \
        --out preds.pkl
    python tools/analysis_tools/attention_on_named_object.py preds.pkl
    python tools/test.py \
        configs/video/glamor_framewise3d_1xb16-50e_toy-guided-videos.py \
        epoch_40.pth --out video_preds.pkl
    python tools/analysis_tools/attention_on_named_object.py video_preds.pkl
"""
import argparse
import json
from typing import Dict, Optional, Sequence

import mmcv
import numpy as np

from glamor_mm.datasets.toy.caers import guided_object_masks
from glamor_mm.datasets.toy.guided_videos import guided_video_frame_cues
from glamor_mm.datasets.transforms.load_video_frames import \
    read_frames_opencv
from glamor_mm.evaluation import (attention_mass_on_masks, dump_array,
                                  load_dump_results)
from glamor_mm.checkpoint import trust_checkpoint
from analysis_cli import add_trust_dump_argument


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Attention mass on the object the face names, from a '
        'prediction dump of the guided toy data.')
    parser.add_argument(
        'dump',
        help='prediction dump (tools/test.py --out) of a model '
        'with attention on the guided toy scenes or videos')
    parser.add_argument('--out', help='also write the numbers to this JSON')
    add_trust_dump_argument(parser)
    return parser.parse_args(argv)


def _check_attention(result: dict, where: str) -> np.ndarray:
    """The sample's attention map, or a clear error without one."""
    if result.get('attention') is None:
        raise ValueError(f'{where} has no attention map; dump a model '
                         'with GLA or CAER-Net-S context attention.')
    return dump_array(result['attention']).astype(np.float64)


def attention_on_named_object(results: Sequence[dict],
                              source: str) -> Dict[str, float]:
    """Summarise where the attention of every dumped sample sits.

    Args:
        results (Sequence[dict]): ``DataSample.to_dict()`` of each test
            sample, with ``attention`` (h, w), ``img_path``, ``face_bbox``,
            ``img_shape`` and ``ori_shape``.
        source (str): Name of the dump, for error messages.

    Returns:
        dict[str, float]: ``samples``; ``mass_on_named`` and
        ``uniform_mass_on_named`` (means, in [0, 1]);
        ``max_mass_on_other``; ``hit_rate`` (in [0, 1]).
    """
    named, uniform, other, hits = [], [], [], []
    for index, result in enumerate(results):
        where = f'{source}: sample {index}'
        attention = _check_attention(result, where)
        if tuple(result['img_shape']) != tuple(result['ori_shape']):
            raise ValueError(
                f'{where} ({result["img_path"]}) was resized or cropped to '
                f'{tuple(result["img_shape"])}: the attention cells are only '
                'known when the context view is the whole image (as in '
                'configs/toy/on_toy_guided.py).')
        img = mmcv.imread(result['img_path'])
        if img is None:
            raise ValueError(f'{where}: cannot read {result["img_path"]}.')
        masks, target = guided_object_masks(img,
                                            dump_array(result['face_bbox']))
        if target is None or not masks[target].any():
            raise ValueError(
                f'{where}: {result["img_path"]} is not a guided toy scene '
                '(no hat colour on the face or no object of that colour).')
        # the map and a uniform one, for the cells the masks touch
        mass, cells = attention_mass_on_masks(
            np.stack([attention,
                      np.full_like(attention, 1 / attention.size)]), masks)
        others = np.delete(mass, target)
        named.append(mass[target])
        uniform.append(cells[target])
        other.append(others.max())
        hits.append(mass[target] > others.max())
    return dict(
        samples=len(named),
        mass_on_named=float(np.mean(named)),
        uniform_mass_on_named=float(np.mean(uniform)),
        max_mass_on_other=float(np.mean(other)),
        hit_rate=float(np.mean(hits)))


def clip_attention_on_named_object(results: Sequence[dict],
                                   source: str) -> Dict[str, float]:
    """Summarise where, and when, the attention of every dumped clip sits.

    Args:
        results (Sequence[dict]): ``DataSample.to_dict()`` of each test
            video, with ``attention`` (K, T', H', W') of its K clips,
            ``video_path``, ``frame_inds`` (K * clip_len), ``clip_len``
            and ``face_bboxes``. The context view must be the whole frame
            (resized, not cropped), as in the guided video configs.
        source (str): Name of the dump, for error messages.

    Returns:
        dict[str, float]: ``clips``; the means over the clips of
        ``mass_on_named``, ``uniform_mass_on_named``, ``max_mass_on_other``
        and ``hit_rate`` (as for scenes, summed over time), of
        ``mass_on_named_flashing`` and ``uniform_mass_on_named_flashing``
        (on the named object in the time steps where it shows its mark),
        and of ``flash_share_of_named`` (the part of the named object's mass
        in those steps) and ``flash_share_of_steps`` (the part of the time
        steps they are).
    """
    keys = ('mass_on_named', 'uniform_mass_on_named', 'max_mass_on_other',
            'hit_rate', 'mass_on_named_flashing',
            'uniform_mass_on_named_flashing', 'flash_share_of_named',
            'flash_share_of_steps')
    values = {key: [] for key in keys}
    for index, result in enumerate(results):
        where = f'{source}: video {index} ({result.get("video_path")})'
        attention = _check_attention(result, where)
        clip_len = int(result['clip_len'])
        if attention.ndim != 4 or clip_len % attention.shape[1]:
            raise ValueError(
                f'{where}: expected K x T\' x H\' x W\' clip attention maps '
                f'with T\' dividing the clip length {clip_len}, got shape '
                f'{attention.shape}; dump a clip model on the guided toy '
                'videos.')
        frame_inds = dump_array(result['frame_inds']).reshape(
            len(attention), attention.shape[1], -1)
        boxes = result['face_bboxes']
        frames = dict(
            zip(
                np.unique(frame_inds).tolist(),
                read_frames_opencv(result['video_path'],
                                   np.unique(frame_inds).tolist())))
        for clip_maps, clip_inds in zip(attention, frame_inds):
            # weights of v_c: a per-step softmax (CAER-Net) counts 1/T'
            clip_maps = clip_maps / clip_maps.sum()
            cues = [[
                guided_video_frame_cues(frames[i], dump_array(boxes[i]))
                for i in step_inds.tolist()
            ] for step_inds in clip_inds]
            masks, target, _ = cues[0][0]
            if target is None or not masks[target].any():
                raise ValueError(
                    f'{where} is not a guided toy video (no hat colour on '
                    'the face or no object of that colour).')
            present = np.flatnonzero(masks.reshape(len(masks), -1).any(1))
            named = int(np.flatnonzero(present == target)[0])
            # (T', objects): the mass of each time step on each object
            mass, uniform = (
                attention_mass_on_masks(maps, masks[present])
                for maps in (clip_maps,
                             np.full_like(clip_maps, 1 / clip_maps.size)))
            flashing = np.array(
                [any(shown[target] for _, _, shown in step) for step in cues])
            on_named, on_others = mass[:, named], np.delete(mass, named, 1)
            values['mass_on_named'].append(on_named.sum())
            values['uniform_mass_on_named'].append(uniform[:, named].sum())
            values['max_mass_on_other'].append(on_others.sum(0).max())
            values['hit_rate'].append(on_named.sum() > on_others.sum(0).max())
            values['mass_on_named_flashing'].append(on_named[flashing].sum())
            values['uniform_mass_on_named_flashing'].append(
                uniform[flashing, named].sum())
            values['flash_share_of_named'].append(on_named[flashing].sum() /
                                                  max(on_named.sum(), 1e-12))
            values['flash_share_of_steps'].append(flashing.mean())
    summary = {key: float(np.mean(v)) for key, v in values.items()}
    return dict(clips=len(values['hit_rate']), **summary)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    if args.trust_dump:
        trust_checkpoint(args.dump)
    results = load_dump_results(args.dump)
    if 'video_path' in results[0]:
        summary = clip_attention_on_named_object(results, args.dump)
        print(f'{summary["clips"]} clips; attention mass on the named object '
              f'{100 * summary["mass_on_named"]:.1f} % (uniform attention: '
              f'{100 * summary["uniform_mass_on_named"]:.1f} %), on the most '
              'attended other object '
              f'{100 * summary["max_mass_on_other"]:.1f} %; the named object '
              f'gets the most mass in {100 * summary["hit_rate"]:.1f} % of '
              'the clips. On the named object while it flashes its mark: '
              f'{100 * summary["mass_on_named_flashing"]:.1f} % (uniform: '
              f'{100 * summary["uniform_mass_on_named_flashing"]:.1f} %), '
              f'{100 * summary["flash_share_of_named"]:.1f} % of its mass in '
              f'{100 * summary["flash_share_of_steps"]:.1f} % of the time '
              'steps.')
    else:
        summary = attention_on_named_object(results, args.dump)
        print(f'{summary["samples"]} scenes; attention mass on the named '
              f'object {100 * summary["mass_on_named"]:.1f} % (uniform '
              f'attention: {100 * summary["uniform_mass_on_named"]:.1f} %), '
              'on the most attended other object '
              f'{100 * summary["max_mass_on_other"]:.1f} %; the named object '
              'gets the most mass in '
              f'{100 * summary["hit_rate"]:.1f} % of the scenes (chance '
              '25 %).')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(summary, f, indent=2)


if __name__ == '__main__':
    main()
