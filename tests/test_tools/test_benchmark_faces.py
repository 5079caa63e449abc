import os
import os.path as osp
import subprocess
import sys

import pytest

pytest.importorskip('dlib')

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))


def test_benchmark_faces_one_context_pass_per_picture():
    proc = subprocess.run([
        sys.executable,
        osp.join(ROOT, 'tools/analysis_tools/benchmark_faces.py'),
        '--detectors', 'configs/face_detectors/dlib_hog.py', '--faces', '1',
        '2', '4', '--repeat', '1', '--threads', '1'
    ],
                          capture_output=True,
                          text=True,
                          env=dict(os.environ, PYTHONPATH=ROOT),
                          cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
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
