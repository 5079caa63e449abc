"""A real Runner config: the tiny original GLAMOR-Net on tiny toy data."""
import os.path as osp
from typing import Callable

import pytest
from mmengine.config import Config, DictAction

TOY_CONFIG = osp.abspath(
    osp.join(
        osp.dirname(__file__), '..', '..', 'configs', 'glamor',
        'glamor_original_1xb32-12e_toy.py'))


@pytest.fixture(scope='session')
def tiny_toy_root(tmp_path_factory) -> str:
    """Toy data with 2 train and 1 val image per class, 96x128 scenes."""
    from glamor_mm.datasets.toy.caers import generate_toy_caers
    root = str(tmp_path_factory.mktemp('tiny_toy_caers'))
    generate_toy_caers(
        root, num_per_class=dict(train=2, val=1), img_size=(96, 128))
    return root


@pytest.fixture
def toy_runner_cfg(tiny_model_opts, tiny_toy_root) -> Callable:
    """``make(work_dir, data_root=None) -> Config``: the quickstart config
    with the tiny model, batches of 7, no workers, 1 epoch, a log line per
    iteration and no checkpoint, on :func:`tiny_toy_root` (or
    ``data_root``)."""

    def make(work_dir: str, data_root: str = None) -> Config:
        cfg = Config.fromfile(TOY_CONFIG)
        options = {
            key: DictAction._parse_iterable(value)
            for key, value in (o.split('=', 1) for o in tiny_model_opts)
        }
        for loader in ('train_dataloader', 'val_dataloader'):
            options.update({
                f'{loader}.dataset.data_root': data_root or tiny_toy_root,
                f'{loader}.batch_size': 7,
                f'{loader}.num_workers': 0,
                f'{loader}.persistent_workers': False,
            })
        options.update({
            'work_dir': work_dir,
            'train_cfg.max_epochs': 1,
            'default_hooks.logger.interval': 1,
            'default_hooks.checkpoint': None,
            'log_level': 'WARNING',
        })
        cfg.merge_from_dict(options)
        cfg.test_dataloader = cfg.val_dataloader
        cfg.test_evaluator = cfg.val_evaluator
        return cfg

    return make
