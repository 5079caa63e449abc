"""Fixtures of the tools tests: small toy data and a tool runner.

With ``--import-mode=importlib`` test modules cannot import helpers, so
they are fixtures: ``run_tool``, ``check_ok``, ``toy_config``,
``tiny_toy_opts`` (``--cfg-options`` of a tiny model on the small toy data)
and ``trained`` (that model, trained briefly).
"""
import os
import os.path as osp
import subprocess
import sys
from typing import Callable, List, Optional

import pytest

from glamor_mm.datasets.toy.caers import generate_toy_caers

TEST_DIR = osp.dirname(osp.abspath(__file__))
REPO_ROOT = osp.dirname(osp.dirname(TEST_DIR))
TOY_CONFIG = osp.join(REPO_ROOT, 'configs', 'glamor',
                      'glamor_original_1xb32-12e_toy.py')


def data_root_opts(root: str) -> List[str]:
    """``--cfg-options`` entries that point every loader at ``root``."""
    return [
        f'{loader}.dataset.data_root={root}'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ]


def _run_tool(args: List[str],
              timeout: int = 600,
              env: Optional[dict] = None) -> subprocess.CompletedProcess:
    """Run ``args`` from the repository root with glamor_mm importable.

    ``args[0]`` may be a tool script (``tools/train.py``), run with this
    interpreter, or ``bash``.
    """
    full_env = dict(os.environ)
    full_env['PYTHONPATH'] = os.pathsep.join(
        [REPO_ROOT, TEST_DIR] + [p for p in [full_env.get('PYTHONPATH')] if p])
    full_env['PYTHON'] = sys.executable
    full_env.update(env or {})
    cmd = args if args[0] == 'bash' else [sys.executable] + args
    return subprocess.run(
        cmd,
        cwd=REPO_ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout)


def _check_ok(proc: subprocess.CompletedProcess) -> None:
    """Fail with the tool's output if it did not exit with 0."""
    assert proc.returncode == 0, (
        f'exit code {proc.returncode}\nSTDOUT (tail):\n{proc.stdout[-4000:]}'
        f'\nSTDERR (tail):\n{proc.stderr[-6000:]}')


@pytest.fixture(scope='session')
def small_toy_root(tmp_path_factory) -> str:
    """A small toy CAER-S tree: 16/4/10 images per class, 96x128 scenes."""
    root = str(tmp_path_factory.mktemp('toy_caers'))
    generate_toy_caers(
        root,
        num_per_class=dict(train=16, val=4, test=10),
        seed=0,
        img_size=(96, 128))
    return root


@pytest.fixture(scope='session')
def toy_config() -> str:
    """Path of the quickstart config (original GLAMOR-Net, toy data)."""
    return TOY_CONFIG


@pytest.fixture(scope='session')
def tiny_toy_opts(tiny_model_opts, small_toy_root) -> List[str]:
    """``--cfg-options`` for a tiny model on :func:`small_toy_root`."""
    return tiny_model_opts + data_root_opts(small_toy_root)


@pytest.fixture(scope='session')
def run_tool() -> Callable:
    """:func:`_run_tool`: run a tool from the repository root."""
    return _run_tool


@pytest.fixture(scope='session')
def check_ok() -> Callable:
    """:func:`_check_ok`: fail with the tool's output on a non-zero exit."""
    return _check_ok


# A short, fast recipe for the tiny model: 8 epochs of 7 iterations.
SHORT_RUN_OPTS = [
    'train_dataloader.batch_size=16', 'optim_wrapper.optimizer.lr=0.05',
    'train_cfg.max_epochs=8', 'param_scheduler.T_max=8', 'randomness.seed=0'
]


@pytest.fixture(scope='session')
def trained(toy_config, tiny_toy_opts, tmp_path_factory) -> str:
    """Train the tiny original GLAMOR-Net through tools/train.py (about
    30 s); its work dir holds ``epoch_8.pth``."""
    work_dir = str(tmp_path_factory.mktemp('train'))
    proc = _run_tool([
        'tools/train.py', toy_config, '--work-dir', work_dir, '--no-validate',
        '--cfg-options'
    ] + tiny_toy_opts + SHORT_RUN_OPTS)
    _check_ok(proc)
    return work_dir
