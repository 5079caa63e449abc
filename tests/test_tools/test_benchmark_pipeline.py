"""The benchmark tools time what they say: on a fake clock that advances one
second per reading, every rate is the number of samples (or clips) one timed
measure processed, so the tests check the counts, the batch sizes and the
table the tools print, not only that a rate is positive."""
import importlib.util
import itertools
import os
import os.path as osp
import sys
import time
from functools import partial
from types import SimpleNamespace

import pytest

from glamor_mm.datasets.toy.caers import generate_toy_caers
from glamor_mm.utils import throughput

ROOT = osp.join(osp.dirname(__file__), '..', '..')
DATA_CFG = osp.join(ROOT, 'configs', '_base_', 'datasets', 'toy_caers.py')


def _load_tool(name):
    path = osp.join(ROOT, 'tools', 'analysis_tools', f'{name}.py')
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def one_second_per_reading():
    """A clock whose every reading is one second after the previous one."""
    return partial(next, itertools.count())


def fake_clock_throughput(monkeypatch, tool, calls):
    """Make ``tool``'s ``throughput`` read the fake clock and count the
    calls of the timed function in ``calls``."""

    def counted(run, *args, **kwargs):

        def run_counted():
            calls.append(run)
            return run()

        return throughput(
            run_counted, *args, clock=one_second_per_reading(), **kwargs)

    monkeypatch.setattr(tool, 'throughput', counted)


def test_benchmark_pipeline_on_toy_data(tmp_path, monkeypatch, capsys):
    generate_toy_caers(str(tmp_path), dict(train=2))
    tool = _load_tool('benchmark_pipeline')
    monkeypatch.setattr(tool, 'time',
                        SimpleNamespace(perf_counter=one_second_per_reading()))
    monkeypatch.setattr(sys, 'argv', [
        'benchmark_pipeline.py', DATA_CFG, '--pipelines', 'train', 'test',
        '--workers', '0', '--cache-dir', 'cache', '--num-samples', '8',
        '--profile', '--rounds', '1', '--cfg-options',
        f'train_dataloader.dataset.data_root={tmp_path}',
        'train_dataloader.batch_size=4'
    ])
    results = tool.main()
    assert set(results) == {
        f'{p} pipeline, {c}, 0 workers'
        for p in ('train', 'test')
        for c in ('cached', 'uncached')
    }
    # 8 samples asked for, batch 4: two whole batches in each timed second
    assert results == pytest.approx(dict.fromkeys(results, 8.0))
    out = capsys.readouterr().out
    for name in results:
        assert f'| {name} | 8.0 | 8 |' in out
    assert '| variant | images/s | rounds | CPU ms/image |' in out
    cpu = [
        float(line.split('|')[4]) for line in out.splitlines()
        if line.startswith('| train pipeline')
    ]
    assert len(cpu) == 2 and all(ms >= 0 for ms in cpu)
    assert '14 samples, batch 4; data preprocessor included' in out
    assert 'clips/s' not in out
    assert '| train pipeline, cached, 0 workers |' in out
    assert 'Profile of one pass over 14 images' in out
    # the PNG decode (Wuffs', WuffsLoadImageFromFile) is among the costliest
    assert '<built-in method pywuffs.aux.decode>' in out
    assert (tmp_path / 'cache').is_dir()


def test_benchmark_counts_clips_of_videos(tmp_path, monkeypatch, capsys):
    from glamor_mm.datasets.toy.caer_videos import generate_toy_caer_videos
    generate_toy_caer_videos(str(tmp_path), dict(train=1), num_frames=(24, 24))
    tool = _load_tool('benchmark_pipeline')
    monkeypatch.setattr(tool, 'time',
                        SimpleNamespace(perf_counter=one_second_per_reading()))
    monkeypatch.setattr(sys, 'argv', [
        'benchmark_pipeline.py',
        osp.join(ROOT, 'configs', '_base_', 'datasets',
                 'toy_caer_videos.py'), '--pipelines', 'train', 'test',
        '--workers', '0', '--num-samples', '4', '--rounds', '1',
        '--cfg-options', f'train_dataloader.dataset.data_root={tmp_path}',
        'train_dataloader.batch_size=2'
    ])
    results = tool.main()
    # one clip per video in training; 24 frames at 10 fps: test clips start
    # at frames 0 and 8
    # at frames 0 and 8; 4 videos (two batches of 2) in each timed second
    out = capsys.readouterr().out
    assert '| variant | videos/s | clips/s |' in out
    for pipeline, clips in (('train', 1), ('test', 2)):
        name = f'{pipeline} pipeline, uncached, 0 workers'
        assert results[name] == pytest.approx(4.0)
        assert results[f'{name}, clips/s'] == pytest.approx(4.0 * clips)
        assert f'| {name} | 4.0 | {4.0 * clips:.1f} |' in out


def test_missing_data_is_named(tmp_path, monkeypatch):
    tool = _load_tool('benchmark_pipeline')
    monkeypatch.setattr(sys, 'argv', [
        'benchmark_pipeline.py', DATA_CFG, '--cfg-options',
        f'train_dataloader.dataset.data_root={tmp_path}/no'
    ])
    with pytest.raises(FileNotFoundError, match='no/train.txt'):
        tool.main()


def test_benchmark_train_step_and_inference(toy_config, tiny_toy_opts,
                                            monkeypatch, capsys):
    model_opts = [o for o in tiny_toy_opts if o.startswith('model.')]
    tool = _load_tool('benchmark_train_step')
    steps: list = []
    fake_clock_throughput(monkeypatch, tool, steps)
    monkeypatch.setattr(sys, 'argv', [
        'benchmark_train_step.py', toy_config, '--batch-size', '2', '--rounds',
        '1', '--steps', '1', '--warmup', '1', '--variants', 'default',
        'channels_last+bf16', '--cfg-options'
    ] + model_opts)
    rates = tool.main()
    # one timed step of batch 2 per variant and round (the warm-up steps
    # run before the timing)
    assert rates == pytest.approx({'default': 2.0, 'channels_last+bf16': 2.0})
    assert len(steps) == 2
    out = capsys.readouterr().out
    assert '| channels_last+bf16 | 2 | 1.00x |' in out
    # GFLOP/s = images/s x 3 x forward GFLOP; the matmul peak is measured
    gflop = float(out.split('training step: ')[1].split(' GFLOP')[0])
    row = out.split('| default | ')[1].split(' |')
    assert float(row[2]) == pytest.approx(
        float(row[0]) * gflop, rel=0.01, abs=0.06)
    monkeypatch.setattr(sys, 'argv', [
        'benchmark_train_step.py', toy_config, '--variants', 'bf16+fast'
    ])
    with pytest.raises(SystemExit):
        tool.parse_args()

    tool = _load_tool('benchmark_inference')
    calls: list = []
    fake_clock_throughput(monkeypatch, tool, calls)
    monkeypatch.setattr(sys, 'argv', [
        'benchmark_inference.py', toy_config, '--batch-sizes', '1', '2',
        '--seconds', '0.01', '--rounds', '1', '--int8', '--calib-samples',
        '8', '--cfg-options'
    ] + tiny_toy_opts)
    rates = tool.main()
    # a warm-up call, then one timed call of the batch per round
    assert rates == pytest.approx({
        f'{b}, batch {n}': float(n)
        for b in ('pytorch', 'onnxruntime', 'onnxruntime int8')
        for n in (1, 2)
    })
    assert len(calls) == 6 * 2  # 6 variants, each a warm-up + a timed call
    out = capsys.readouterr().out
    assert '| onnxruntime int8, batch 2 | 2.0 |' in out


def test_benchmark_inference_of_a_face_only_model(monkeypatch, capsys):
    """An ImageClassifier is timed on its faces alone (FaceOnnxModule)."""
    config = osp.join(ROOT, 'configs', 'baselines',
                      'mini-xception_fer2013_face.py')
    tool = _load_tool('benchmark_inference')
    calls: list = []
    fake_clock_throughput(monkeypatch, tool, calls)
    monkeypatch.setattr(sys, 'argv', [
        'benchmark_inference.py', config, '--face-shape', '1', '64', '64',
        '--batch-sizes', '2', '--seconds', '0.01', '--rounds', '1'
    ])
    rates = tool.main()
    assert rates == pytest.approx({
        'pytorch, batch 2': 2.0,
        'onnxruntime, batch 2': 2.0
    })
    assert len(calls) == 2 * 2  # 2 variants, each a warm-up + a timed call


def test_benchmark_png_decode(monkeypatch, capsys):
    """Every installed decoder gives OpenCV's pixels on both sets (none is
    dropped as different) and is timed."""
    pytest.importorskip('skimage')
    tool = _load_tool('benchmark_png_decode')
    monkeypatch.setattr(sys, 'argv', [
        'benchmark_png_decode.py', '--num-files', '2', '--rounds', '1',
        '--seconds', '0.01'
    ])
    rates = tool.main()
    found = set(tool.decoders())
    required = {
        'opencv (cv2.imdecode)', 'pillow', 'wuffs (WuffsLoadImageFromFile)'
    }
    assert required <= found
    assert set(rates) == {'toy', 'photos'}
    for decoders in rates.values():
        # every decoder that decodes these files gives OpenCV's pixels
        # (an optional decoder that fails on them is reported, not timed)
        assert required <= set(decoders) <= found
    out = capsys.readouterr().out
    assert 'differ' not in out
    assert '2 PNG files of 712x400' in out


def test_loader_collates_as_training_does():
    """No collate_fn in the config: default_collate, as tools/train.py sets
    it (the views stacked in the workers); the config's otherwise."""
    from mmengine.dataset import default_collate, pseudo_collate
    tool = _load_tool('benchmark_pipeline')
    dataset = list(range(4))
    assert tool.config_loader(dataset, dict(batch_size=2),
                              0).collate_fn is default_collate
    loader = tool.config_loader(
        dataset, dict(batch_size=2, collate_fn=dict(type='pseudo_collate')), 0)
    assert loader.collate_fn is pseudo_collate


@pytest.mark.skipif(not osp.isdir('/proc/self'), reason='Linux /proc')
def test_cpu_seconds_counts_this_process():
    tool = _load_tool('benchmark_pipeline')
    start = tool.cpu_seconds([os.getpid()])
    deadline = time.process_time() + 0.3
    while time.process_time() < deadline:
        pass
    assert 0.2 <= tool.cpu_seconds([os.getpid()]) - start < 5
    assert tool.cpu_seconds([os.getpid(), 2**22 + 1]) is None  # no such pid
