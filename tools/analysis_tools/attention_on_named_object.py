# Copyright (c) glamor_mm contributors.
"""Does the attention sit on the object the face names? ('guided' toy data)

On scenes of ``generate_toy_caers.py --mode guided`` the hat on the face
names one of four coloured objects, and only that object's shape sets the
label. This tool reads a prediction dump of such a test split (a model with
an attention map: GLA or CAER-Net-S context attention), finds the objects
and the named one from the pixels of every scene, and reports:

- the mean attention mass on the map cells the named object touches, next to
  the mass uniform attention would give those cells;
- the mean mass on the most attended other object;
- the hit rate: how often the named object gets more mass than each of the
  three others (25 % by chance).

Example::

    python tools/test.py configs/toy/on_toy_guided.py epoch_45.pth \
        --out preds.pkl
    python tools/analysis_tools/attention_on_named_object.py preds.pkl
"""
import argparse
import json
from typing import Dict, Optional, Sequence

import mmcv
import numpy as np

from glamor_mm.datasets.toy.caers import guided_object_masks
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
        'with attention on the guided toy data')
    parser.add_argument('--out', help='also write the numbers to this JSON')
    add_trust_dump_argument(parser)
    return parser.parse_args(argv)


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
        if result.get('attention') is None:
            raise ValueError(f'{where} has no attention map; dump a model '
                             'with GLA or CAER-Net-S context attention.')
        if tuple(result['img_shape']) != tuple(result['ori_shape']):
            raise ValueError(
                f'{where} ({result["img_path"]}) was resized or cropped to '
                f'{tuple(result["img_shape"])}: the attention cells are only '
                'known when the context view is the whole image (as in '
                'configs/toy/on_toy_guided.py).')
        attention = dump_array(result['attention']).astype(np.float64)
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


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    if args.trust_dump:
        trust_checkpoint(args.dump)
    summary = attention_on_named_object(
        load_dump_results(args.dump), args.dump)
    print(f'{summary["samples"]} scenes; attention mass on the named object '
          f'{100 * summary["mass_on_named"]:.1f} % (uniform attention: '
          f'{100 * summary["uniform_mass_on_named"]:.1f} %), on the most '
          f'attended other object {100 * summary["max_mass_on_other"]:.1f} '
          f'%; the named object gets the most mass in '
          f'{100 * summary["hit_rate"]:.1f} % of the scenes (chance 25 %).')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(summary, f, indent=2)


if __name__ == '__main__':
    main()
