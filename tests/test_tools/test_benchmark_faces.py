import importlib.util
import os.path as osp
import sys

import numpy as np
import pytest


ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
TOOL = osp.join(ROOT, 'tools/analysis_tools/benchmark_faces.py')


def test_benchmark_faces_one_context_pass_per_picture(monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location('benchmark_faces', TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(sys, 'argv', [
        TOOL, '--detectors', 'configs/face_detectors/dlib_hog.py', '--faces',
        '1', '2', '4', '--repeat', '1'
    ])
    tool.main()
    lines = capsys.readouterr().out.splitlines()
    detector_rows = [line for line in lines if line.startswith('| dlib_hog')]
    # one face found in each real photo
    assert [row.split('|')[4].strip() for row in detector_rows] == ['1'] * 3
    face_rows = [
        line.split('|')[1:4] for line in lines
        if line.startswith('| ') and line.split('|')[1].strip().isdigit()
    ]
    assert [[c.strip() for c in row]
            for row in face_rows] == [['1', '1', '1'], ['2', '2', '1'],
                                      ['4', '4',
                                       '1']]  # faces, detected, context passes
    with pytest.raises(ValueError, match='1 to 8 faces'):
        tool.tiled(np.zeros((10, 10, 3), np.uint8), 9)
