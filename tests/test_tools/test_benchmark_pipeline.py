import importlib.util
import os.path as osp
import sys

import pytest

from glamor_mm.datasets.toy_caers import generate_toy_caers

ROOT = osp.join(osp.dirname(__file__), '..', '..')


def _load_tool():
    path = osp.join(ROOT, 'tools', 'analysis_tools', 'benchmark_pipeline.py')
    spec = importlib.util.spec_from_file_location('benchmark_pipeline', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_pipeline_on_toy_data(tmp_path, monkeypatch, capsys):
    generate_toy_caers(str(tmp_path), dict(train=2))
    tool = _load_tool()
    monkeypatch.setattr(sys, 'argv', [
        'benchmark_pipeline.py',
        osp.join(ROOT, 'configs', '_base_', 'datasets',
                 'toy_caers.py'), '--num-workers', '1', '--num-samples', '8',
        '--cfg-options', f'train_dataloader.dataset.data_root={tmp_path}',
        'train_dataloader.batch_size=4'
    ])
    results = tool.main()
    assert set(results) == {'per_worker', 'dataloader'}
    assert all(v > 0 for v in results.values())
    out = capsys.readouterr().out
    assert '14 samples, batch 4' in out
    assert 'clips/s' not in out
    assert 'DataLoader, 1 workers' in out


def test_missing_data_is_named(tmp_path, monkeypatch):
    tool = _load_tool()
    monkeypatch.setattr(sys, 'argv', [
        'benchmark_pipeline.py',
        osp.join(ROOT, 'configs', '_base_', 'datasets', 'toy_caers.py'),
        '--cfg-options', f'train_dataloader.dataset.data_root={tmp_path}/no'
    ])
    with pytest.raises(FileNotFoundError, match='no/train.txt'):
        tool.main()


def test_benchmark_counts_clips_of_videos(tmp_path, monkeypatch, capsys):
    from glamor_mm.datasets.toy_caer_videos import generate_toy_caer_videos
    generate_toy_caer_videos(str(tmp_path), dict(test=1), num_frames=(24, 24))
    tool = _load_tool()
    monkeypatch.setattr(sys, 'argv', [
        'benchmark_pipeline.py',
        osp.join(ROOT, 'configs', '_base_', 'datasets',
                 'toy_caer_videos.py'), '--num-workers', '0', '--num-samples',
        '4', '--dataloader', 'test_dataloader', '--cfg-options',
        f'test_dataloader.dataset.data_root={tmp_path}',
        'test_dataloader.batch_size=2'
    ])
    results = tool.main()
    # 24 frames at 10 fps: test clips start at frames 0 and 8
    for key in ('per_worker', 'dataloader'):
        assert results[f'{key}_clips'] == pytest.approx(2 * results[key])
    assert '7 samples, batch 2' in capsys.readouterr().out
