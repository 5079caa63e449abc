"""Shared helpers: the table configs on a tiny copy of the toy data.

Every test of this folder trains models and carries the ``slow`` marker:
``python -m pytest tests -m "not slow"`` leaves them out."""
import os
import os.path as osp

import pytest
from mmengine.config import Config

CONFIGS = osp.abspath(osp.join(osp.dirname(__file__), '..', '..', 'configs'))
TOY_WRAPPER = osp.join(CONFIGS, 'toy', 'on_toy_caers.py')
HERE = osp.dirname(osp.abspath(__file__))


def pytest_collection_modifyitems(items) -> None:
    """Mark the tests of this folder ``slow`` (pytest calls this hook with
    every collected test, so it picks this folder's)."""
    for item in items:
        if str(item.path).startswith(HERE + os.sep):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope='session')
def toy_root(tmp_path_factory) -> str:
    """Toy data with one image per class and split (7 + 7 + 7 images)."""
    from glamor_mm.datasets.toy.caers import generate_toy_caers
    root = str(tmp_path_factory.mktemp('toy_caers'))
    generate_toy_caers(root, num_per_class=dict(train=1, val=1, test=1))
    return root


def _load_on_toy(row_config: str,
                 toy_root: str,
                 work_dir: str,
                 experiment_name: str,
                 num_train: int = 2) -> Config:
    """A table config on the toy data through ``configs/toy/on_toy_caers.py``,
    shrunk to ``num_train`` training images in batches of 2, one epoch, no
    validation and no checkpoint.

    Args:
        row_config (str): Path relative to ``configs/``.
        toy_root (str): Root of the generated toy data.
        work_dir (str): Work directory of the run.
        experiment_name (str): Unique name (MMEngine's logger and message
            hub instances are looked up by it).
        num_train (int): Training images (``dataset.indices``).

    Returns:
        Config: The config, ready for ``Runner.from_cfg``.
    """
    old = os.environ.get('ROW_CONFIG')
    os.environ['ROW_CONFIG'] = osp.join(CONFIGS, row_config)
    try:
        cfg = Config.fromfile(TOY_WRAPPER)
    finally:
        if old is None:
            del os.environ['ROW_CONFIG']
        else:
            os.environ['ROW_CONFIG'] = old
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg[name]
        loader.dataset.data_root = toy_root
        loader.update(batch_size=2, num_workers=0, persistent_workers=False)
    cfg.train_dataloader.dataset.indices = num_train
    cfg.train_cfg = dict(by_epoch=True, max_epochs=1, val_interval=100)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger.interval = 1
    cfg.work_dir = work_dir
    cfg.experiment_name = experiment_name
    cfg.log_level = 'WARNING'
    return cfg


@pytest.fixture
def on_toy(toy_root, tmp_path):
    """``on_toy(row_config, name='run', num_train=2) -> Config``: see
    :func:`_load_on_toy`; the work dir is ``tmp_path / name``."""

    def load(row_config: str, name: str = 'run', num_train: int = 2):
        return _load_on_toy(row_config, toy_root, str(tmp_path / name),
                            f'{tmp_path.name}_{name}', num_train)

    return load
