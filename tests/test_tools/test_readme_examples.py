"""Every ``bash`` and ``python`` example of README.md runs, so that a
documented command cannot break unnoticed.

Each fenced ``bash``/``python`` block of the README is run as written, in a
scratch folder that links the repository's ``configs/``, ``tools/`` and
``demo/`` (outputs such as ``work_dirs/``, ``outputs/`` and ``data/`` land
there), after these documented substitutions:

=====================  ======================================================
README text            replaced by
=====================  ======================================================
``CONFIG``             ``tiny.py``: the quickstart config with the narrow
                       model of the tools tests, on the small toy data, one
                       epoch (in python blocks: the string ``'tiny.py'``)
``CKPT``,              ``tiny.pth``: that model's weights (random, with the
``CHECKPOINT``         dataset's class names)
``CAER_CFG``,          the CAER-Net-S baseline config and its random weights
``CAER_CKPT``
``photo.jpg``          matplotlib's Grace Hopper photograph
``clip.mp4``           a 4-frame video of it
``data/caer_s``        a copy of the small toy CAER-S tree
``[optional args]``    left out
=====================  ======================================================

A block is skipped only when it is listed in :data:`SKIPPED`, with the
reason; a new example is therefore run until someone lists it. A skipped
block that is no longer in the README fails the test, so the list stays
true.
"""
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
from typing import Dict, List, Tuple

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config, DictAction
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
README = osp.join(REPO_ROOT, 'README.md')
CAER_CONFIG = 'configs/baselines/caernet-s_original_1xb32-12e_caers.py'

# a distinctive piece of the block -> why it cannot run in the test suite
SKIPPED = {
    'bash tools/setup_env.sh && bash tools/quickstart.sh':
    'a fresh venv and the 15-min MMCV build; .ci/run runs the same set-up',
    'bash tools/setup_env.sh --tests && python -m pytest tests':
    'a fresh venv and the whole test suite (this test is part of it)',
    'bash tools/dist_train.sh configs/glamor_r18_caers.py 8':
    '8 GPUs, 2 hosts, Slurm; tests/test_tools/test_dist_train.py runs '
    'dist_train.sh / dist_test.sh with 2 CPU processes',
    'python tools/train.py configs/glamor_r18_caers.py [--work-dir DIR]':
    'CAER-S data and hours of training; test_train.py runs each option on '
    'the toy data',
    'ROW_CONFIG=../ablation/':
    'minutes of CPU training; tests/test_experiments run every row on toy '
    'data',
    'configs/video/caernet_original3d_1xb32-12e_caer.py':
    'the CAER videos; the video tests run these configs on generated clips',
    'python tools/detect_face_tracks.py configs/face_detectors/dlib_hog.py':
    'the CAER videos (data/caer); tests/test_tools run the tool on generated '
    'clips',
    'git clone https://github.com/minhnhatvt/glamor-net':
    'network access and the authors\' trained weights; '
    'test_glamor_tf_to_mmpretrain.py converts a generated TF checkpoint',
    'caernet_to_mmpretrain.py model_best.pth':
    'the trained CAER-S model of another repository; '
    'test_caernet_to_mmpretrain.py converts a generated one',
    'generate_toy_caers.py data/bench_712x400':
    'benchmark data (420 pictures of 712x400) for the next block',
    'benchmark_pipeline.py':
    'a benchmark: minutes of timing',
    'benchmark_train_step.py':
    'a benchmark: minutes of timing',
    'work_dirs/video_quickstart':
    '40 epochs of CPU training (12 min); test_dist_train_video.py and '
    'test_video_dynamic_vs_static.py train this config',
    'benchmark_inference.py':
    'a benchmark: minutes of timing',
}


def readme_blocks() -> List[Tuple[str, str]]:
    """``(language, text)`` of every ``bash``/``python`` fenced block."""
    text = open(README, encoding='utf-8').read()
    return [(lang, body)
            for lang, body in re.findall(r'```(\w*)\n(.*?)```', text, re.S)
            if lang in ('bash', 'python')]


def skip_reason(body: str) -> str:
    return next((why for key, why in SKIPPED.items() if key in body), '')


def substitute(lang: str, body: str) -> str:
    """Apply the substitutions of the module docstring."""
    # optional arguments, innermost first ('[--resume [auto|CKPT]]')
    while re.search(r' \[[^\[\]]*\]', body):
        body = re.sub(r' \[[^\[\]]*\]', '', body)
    quote = repr if lang == 'python' else str
    names = {
        'CAER_CFG': CAER_CONFIG,
        'CAER_CKPT': 'caer.pth',
        'CONFIG': 'tiny.py',
        'CHECKPOINT': 'tiny.pth',
        'CKPT': 'tiny.pth',
    }
    for name, value in names.items():
        body = re.sub(rf'\b{name}\b', quote(value), body)
    return body


def save_random_weights(cfg: Config, path: str) -> None:
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    classes = list(cfg.test_dataloader.dataset.get('classes', None) or [])
    torch.save(
        dict(
            state_dict=model.state_dict(),
            meta=dict(dataset_meta=dict(classes=classes))), path)


@pytest.fixture(scope='module')
def scratch(tmp_path_factory, toy_config, tiny_toy_opts, small_toy_root,
            real_photos) -> str:
    """The folder the examples run in, with their inputs."""
    folder = tmp_path_factory.mktemp('readme')
    for name in ('configs', 'tools', 'demo'):
        os.symlink(osp.join(REPO_ROOT, name), folder / name)
    parser = __import__('argparse').ArgumentParser()
    parser.add_argument('--opts', nargs='+', action=DictAction)
    opts = parser.parse_args(['--opts'] + tiny_toy_opts).opts
    cfg = Config.fromfile(toy_config)
    cfg.merge_from_dict(opts)
    cfg.merge_from_dict({'train_cfg.max_epochs': 1})
    cfg.dump(str(folder / 'tiny.py'))
    save_random_weights(cfg, str(folder / 'tiny.pth'))
    caer = Config.fromfile(osp.join(REPO_ROOT, CAER_CONFIG))
    save_random_weights(caer, str(folder / 'caer.pth'))
    shutil.copytree(small_toy_root, folder / 'data' / 'caer_s')
    img = real_photos['grace_hopper']['img']
    cv2.imwrite(str(folder / 'photo.jpg'), img)
    writer = cv2.VideoWriter(
        str(folder / 'clip.mp4'), cv2.VideoWriter_fourcc(*'mp4v'), 10,
        (img.shape[1], img.shape[0]))
    for shift in range(0, 20, 5):
        writer.write(np.roll(img, shift, axis=1))
    writer.release()
    return str(folder)


def block_id(block: Tuple[str, str]) -> str:
    first = block[1].strip().splitlines()[0]
    return first[:60]


def test_skipped_blocks_are_in_the_readme():
    bodies = [body for _, body in readme_blocks()]
    for key in SKIPPED:
        assert any(key in body for body in bodies), (
            f'SKIPPED lists {key!r}, which no README example contains '
            'any more: remove it')


@pytest.mark.parametrize('block', readme_blocks(), ids=block_id)
def test_readme_example_runs(block, scratch):
    lang, body = block
    reason = skip_reason(body)
    if reason:
        pytest.skip(reason)
    script = substitute(lang, body)
    env: Dict[str, str] = dict(
        os.environ,
        PYTHONPATH=REPO_ROOT,
        PATH=osp.dirname(sys.executable) + os.pathsep + os.environ['PATH'])
    cmd = ['bash', '-euo', 'pipefail', '-c', script] if lang == 'bash' \
        else [sys.executable, '-c', script]
    proc = subprocess.run(
        cmd, cwd=scratch, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, (
        f'README example failed:\n{body}\nran as:\n{script}\n'
        f'STDOUT:\n{proc.stdout[-3000:]}\nSTDERR:\n{proc.stderr[-5000:]}')
