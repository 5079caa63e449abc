"""Attention maps over the masked context for dataset samples (Fig. 9).

Writes a PNG grid with one column per sample and the rows of the GLAMOR-Net
paper's Fig. 9: the image (face box drawn), the masked context view the
model sees, then the attention map of each model over that view, labelled
with its prediction. The samples come from the test split of the first
config; each model uses its own test pipeline.

Examples:
    python tools/visualization/vis_attention.py \\
        configs/glamor/glamor_original_1xb32-60e_ncaers.py glamor.pth \\
        --compare configs/baselines/caernet-s_original_1xb32-12e_caers.py \\
            caernet.pth CAER-Net-S \\
        --num 8 --out outputs/attention.png
"""
import argparse
import os.path as osp
from typing import List, Optional

import cv2
import mmcv
import numpy as np
import torch
from mmcv.transforms import Compose
from mmengine.config import Config, DictAction
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope
from mmengine.utils import mkdir_or_exist
from mmpretrain.registry import DATASETS, TRANSFORMS

from glamor_mm.checkpoint import init_model_checked
from glamor_mm.visualization import FaceEmotionVisualizer


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Fig. 9-style attention maps of dataset samples')
    parser.add_argument('config', help='model config (its test split used)')
    parser.add_argument('checkpoint', nargs='?', default=None)
    parser.add_argument(
        '--name', default='GLAMOR-Net', help='row name of this model')
    parser.add_argument(
        '--compare',
        nargs=3,
        action='append',
        default=[],
        metavar=('CONFIG', 'CHECKPOINT', 'NAME'),
        help='another model whose attention gets a row (repeatable; '
        'CHECKPOINT "none" for random weights)')
    parser.add_argument('--num', type=int, default=8, help='number of samples')
    parser.add_argument(
        '--indices',
        type=int,
        nargs='+',
        default=None,
        help='sample indices (default: evenly spread over the split)')
    parser.add_argument('--size', type=int, default=160, help='tile size')
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--out', default='outputs/attention.png', help='output PNG')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='overrides of the first config (e.g. its data_root)')
    return parser.parse_args()


class AttentionModel:
    """A classifier with its own test pipeline, for one row of the grid."""

    def __init__(self,
                 config: Config,
                 checkpoint: Optional[str],
                 name: str,
                 device: str = 'cpu') -> None:
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            self.model = init_model_checked(
                config, checkpoint, device=device, opt_in=None)
            self.pipeline = Compose([
                TRANSFORMS.build(t)
                for t in config.test_dataloader.dataset.pipeline
            ])
        self.classes = self.model._dataset_meta.get('classes')
        self.name = name

    @torch.no_grad()
    def __call__(self, data_info: dict) -> dict:
        """Predict one sample: its masked view, attention and class."""
        data = self.pipeline(dict(data_info))
        batch = self.model.data_preprocessor(pseudo_collate([data]))
        pred = self.model.predict(batch['inputs'], batch['data_samples'])[0]
        label = int(pred.pred_label)
        masked = data['inputs']['context'].permute(1, 2, 0).numpy()
        return dict(
            masked=np.ascontiguousarray(masked[..., ::-1]),  # BGR -> RGB
            attention=pred.get('attention'),
            label=self.classes[label] if self.classes else str(label))


def pick_indices(num_samples: int, num: int,
                 indices: Optional[List[int]]) -> List[int]:
    """The given indices, or ``num`` evenly spread ones."""
    if indices is not None:
        bad = [i for i in indices if not 0 <= i < num_samples]
        if bad:
            raise ValueError(f'Sample indices {bad} are outside the split '
                             f'of {num_samples} samples.')
        return indices
    return sorted(
        set(np.linspace(0, num_samples - 1, num).round().astype(int).tolist()))


def main() -> None:
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    models = [AttentionModel(cfg, args.checkpoint, args.name, args.device)]
    for config, checkpoint, name in args.compare:
        models.append(
            AttentionModel(
                Config.fromfile(config),
                None if checkpoint == 'none' else checkpoint, name,
                args.device))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        dataset = DATASETS.build(cfg.test_dataloader.dataset)
    classes = dataset.metainfo.get('classes')

    columns = []
    for index in pick_indices(len(dataset), args.num, args.indices):
        info = dataset.get_data_info(index)
        image = mmcv.imread(info['img_path'], channel_order='rgb')
        if info.get('face_bbox') is not None:
            x1, y1, x2, y2 = [int(round(v)) for v in info['face_bbox']]
            cv2.rectangle(image, (x1, y1), (x2, y2), (0, 255, 0),
                          max(1, image.shape[1] // 150))
        preds = [model(info) for model in models]
        gt = info['gt_label']
        columns.append(
            dict(
                image=image,
                masked=preds[0]['masked'],
                title=f'{index}: GT {classes[gt] if classes else gt}',
                attentions=[(f"{m.name}: {p['label']}", p['attention'])
                            for m, p in zip(models, preds)]))
    mkdir_or_exist(osp.dirname(osp.abspath(args.out)))
    FaceEmotionVisualizer.get_instance('vis_attention').attention_grid(
        columns, size=args.size, out_file=args.out)
    print(f'Wrote {args.out} ({len(columns)} samples, '
          f'{2 + len(models)} rows).')


if __name__ == '__main__':
    main()
