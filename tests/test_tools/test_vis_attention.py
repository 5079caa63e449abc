import importlib.util
import os.path as osp
import sys

import cv2

from glamor_mm.datasets.toy.caers import generate_toy_caers

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
TOOL = osp.join(ROOT, 'tools/visualization/vis_attention.py')


def test_vis_attention_writes_fig9_grid(tmp_path, monkeypatch, capsys):
    generate_toy_caers(str(tmp_path / 'toy'), num_per_class={'test': 1})
    out = tmp_path / 'attention.png'
    spec = importlib.util.spec_from_file_location('vis_attention', TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(sys, 'argv', [
        TOOL, 'configs/glamor/glamor_original_1xb32-12e_toy.py', '--compare',
        'configs/baselines/caernet-s_original_1xb32-12e_caers.py', 'none',
        'CAER-Net-S', '--num', '3', '--size', '64', '--out',
        str(out), '--cfg-options',
        f'test_dataloader.dataset.data_root={tmp_path / "toy"}'
    ])
    tool.main()
    assert '(3 samples, 4 rows)' in capsys.readouterr().out
    grid = cv2.imread(str(out))
    # rows: image, masked image, GLAMOR-Net attention, CAER-Net-S attention
    assert grid.shape == (4 * 64, 3 * 64, 3)
    # the masked view (row 2) has the face zeroed: a black block
    masked = grid[64:128]
    assert (masked.reshape(-1, 3).sum(1) == 0).mean() > 0.05
    assert tool.pick_indices(10, 3, None) == [0, 4, 9]
