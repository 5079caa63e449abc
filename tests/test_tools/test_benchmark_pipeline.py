import importlib.util
import os.path as osp
import sys

import pytest

from glamor_mm.datasets.toy_caers import generate_toy_caers

ROOT = osp.join(osp.dirname(__file__), '..', '..')
DATA_CFG = osp.join(ROOT, 'configs', '_base_', 'datasets', 'toy_caers.py')


def _load_tool(name):
    path = osp.join(ROOT, 'tools', 'analysis_tools', f'{name}.py')
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_pipeline_on_toy_data(tmp_path, monkeypatch, capsys):
    generate_toy_caers(str(tmp_path), dict(train=2))
    tool = _load_tool('benchmark_pipeline')
    monkeypatch.setattr(sys, 'argv', [
        'benchmark_pipeline.py', DATA_CFG, '--pipelines', 'train', 'test',
        '--workers', '0', '--cache-dir', 'cache', '--num-samples', '8',
        '--profile',
        '--rounds', '1', '--cfg-options',
        f'train_dataloader.dataset.data_root={tmp_path}',
        'train_dataloader.batch_size=4'
    ])
    results = tool.main()
    assert set(results) == {
        f'{p} pipeline, {c}, 0 workers'
        for p in ('train', 'test')
        for c in ('cached', 'uncached')
    }
    assert all(v > 0 for v in results.values())
    out = capsys.readouterr().out
    assert '14 samples, batch 4; data preprocessor included' in out
    assert 'clips/s' not in out
    assert '| train pipeline, cached, 0 workers |' in out
    assert 'Profile of one pass over 14 images' in out
    assert '<imdecode>' in out  # the PNG decode is among the costliest
    assert (tmp_path / 'cache').is_dir()


def test_benchmark_counts_clips_of_videos(tmp_path, monkeypatch, capsys):
    from glamor_mm.datasets.toy_caer_videos import generate_toy_caer_videos
    generate_toy_caer_videos(str(tmp_path), dict(train=1), num_frames=(24, 24))
    tool = _load_tool('benchmark_pipeline')
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
    for pipeline, clips in (('train', 1), ('test', 2)):
        name = f'{pipeline} pipeline, uncached, 0 workers'
        assert results[f'{name}, clips/s'] == pytest.approx(clips *
                                                            results[name])
    assert '| variant | videos/s | clips/s |' in capsys.readouterr().out


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
    monkeypatch.setattr(sys, 'argv', [
        'benchmark_train_step.py', toy_config, '--batch-size', '2', '--rounds',
        '1', '--steps', '1', '--warmup', '1', '--variants', 'default',
        'channels_last+bf16', '--cfg-options'
    ] + model_opts)
    rates = tool.main()
    assert set(rates) == {'default', 'channels_last+bf16'}
    out = capsys.readouterr().out
    assert '| channels_last+bf16 |' in out
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

    pytest.importorskip('onnxruntime')
    tool = _load_tool('benchmark_inference')
    monkeypatch.setattr(sys, 'argv', [
        'benchmark_inference.py', toy_config, '--batch-sizes', '1', '2',
        '--seconds', '0.01', '--rounds', '1', '--int8', '--calib-samples',
        '8', '--cfg-options'
    ] + tiny_toy_opts)
    rates = tool.main()
    assert set(rates) == {
        f'{b}, batch {n}'
        for b in ('pytorch', 'onnxruntime', 'onnxruntime int8')
        for n in (1, 2)
    }
    assert all(v > 0 for v in rates.values())


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
    assert {'opencv (cv2.imdecode)', 'pillow'} <= found
    assert set(rates) == {'toy', 'photos'}
    for decoders in rates.values():
        assert set(decoders) == found
    out = capsys.readouterr().out
    assert 'differ' not in out
    assert '2 PNG files of 712x400' in out
