"""Fill the pipeline cache of a config's datasets, with a progress bar.

The dataset of each chosen dataloader caches the deterministic start of its
pipeline (decode, face crop, face masking, context resize) in
``dataset.cache_dir``: a row per image (``glamor_mm.datasets.
TwoViewPipelineCache``) or per sampled video frame (``ClipPipelineCache``).
Training fills the cache lazily in its first epoch; this tool fills it
beforehand, in ``--workers`` processes, and only recomputes rows that are
missing or stale (changed image file, face box or label).

Example:
    python tools/misc/build_pipeline_cache.py configs/glamor_r18_caers.py \\
        --cache-dir .pipeline_cache --workers 4
"""
import argparse
from typing import Dict

import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmengine.utils import ProgressBar
from mmpretrain.registry import DATASETS

import glamor_mm  # noqa: F401  (registers the datasets and transforms)


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Fill the two-view pipeline cache of a config.')
    parser.add_argument('config', help='config file')
    parser.add_argument(
        '--dataloaders',
        nargs='+',
        default=['train_dataloader'],
        help='dataloaders of the config whose datasets are cached '
        '(default: train_dataloader)')
    parser.add_argument(
        '--cache-dir',
        default=None,
        help="set the datasets' cache_dir (relative to their data_root); "
        'default: the one in the config')
    parser.add_argument(
        '--workers', type=int, default=2, help='processes (default 2)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as in tools/train.py')
    return parser.parse_args()


class _RowFiller(torch.utils.data.Dataset):
    """Item ``i`` fills row ``i`` of a dataset's cache if it is stale."""

    def __init__(self, dataset) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, idx: int) -> int:
        return cache_of(self.dataset).update(idx,
                                             self.dataset.get_data_info(idx))


def cache_of(dataset):
    """The pipeline cache of a dataset: of its images, or of its clips."""
    return dataset.pipeline_cache or getattr(dataset, 'clip_cache', None)


def main() -> Dict[str, int]:
    """Fill the caches.

    Returns:
        dict[str, int]: Rows computed per dataloader name.
    """
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    computed = {}
    for name in args.dataloaders:
        dataset_cfg = cfg[name]['dataset']
        if args.cache_dir is not None:
            dataset_cfg['cache_dir'] = args.cache_dir
        if dataset_cfg.get('cache_dir') is None:
            raise ValueError(f'{name}.dataset has no cache_dir; give '
                             '--cache-dir or set it in the config.')
        dataset = DATASETS.build(dataset_cfg)
        dataset.full_init()
        print(f'{name}: {len(dataset)} samples -> '
              f'{cache_of(dataset).root}')
        loader = torch.utils.data.DataLoader(
            _RowFiller(dataset), batch_size=None, num_workers=args.workers)
        progress = ProgressBar(len(dataset))
        computed[name] = 0
        for rows in loader:
            computed[name] += int(rows)
            progress.update()
        total = len(cache_of(dataset).arrays['stamp'])
        print(f'\n{name}: {computed[name]} rows computed, '
              f'{total - computed[name]} were up to date.')
    return computed


if __name__ == '__main__':
    main()
