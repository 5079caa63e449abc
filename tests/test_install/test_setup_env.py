"""tools/setup_env.sh on the environment the tests run in (nothing is
installed: --check only inspects and runs the self-check)."""
import os
import os.path as osp
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_check_reports_complete_environment():
    proc = subprocess.run(['bash', 'tools/setup_env.sh', '--check'],
                          cwd=ROOT,
                          env=dict(os.environ, PYTHON=sys.executable),
                          capture_output=True,
                          text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'nothing to do' in proc.stdout
    assert 'mmcv.ops.nms: 2.1.0' in proc.stdout
    assert 'FAIL' not in proc.stdout


def test_unknown_argument_is_refused():
    proc = subprocess.run(['bash', 'tools/setup_env.sh', '--bogus'],
                          cwd=ROOT,
                          capture_output=True,
                          text=True,
                          timeout=60)
    assert proc.returncode == 2
    assert "unknown argument '--bogus'" in proc.stderr


def test_torch_older_than_2_6_is_refused(tmp_path):
    """An installed torch < 2.6 (here: its metadata, first on the path) is
    refused with the reason and what to do, before anything is installed."""
    info = tmp_path / 'torch-2.5.1.dist-info'
    info.mkdir()
    (info / 'METADATA').write_text(
        'Metadata-Version: 2.1\nName: torch\nVersion: 2.5.1\n')
    proc = subprocess.run(['bash', 'tools/setup_env.sh', '--check'],
                          cwd=ROOT,
                          env=dict(
                              os.environ,
                              PYTHON=sys.executable,
                              PYTHONPATH=str(tmp_path)),
                          capture_output=True,
                          text=True,
                          timeout=120)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert 'torch 2.5.1 is installed, but glamor_mm needs torch >= 2.6' in \
        proc.stderr
    assert "pip install 'torch>=2.6'" in proc.stderr
    assert 'to install:' not in proc.stdout
