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


def run_check_with_torch(tmp_path,
                         version: str) -> subprocess.CompletedProcess:
    """``setup_env.sh --check`` with an installed torch ``version`` (its
    metadata, first on the path)."""
    info = tmp_path / f'torch-{version}.dist-info'
    info.mkdir()
    (info / 'METADATA').write_text(
        f'Metadata-Version: 2.1\nName: torch\nVersion: {version}\n')
    return subprocess.run(['bash', 'tools/setup_env.sh', '--check'],
                          cwd=ROOT,
                          env=dict(
                              os.environ,
                              PYTHON=sys.executable,
                              PYTHONPATH=str(tmp_path)),
                          capture_output=True,
                          text=True,
                          timeout=120)


def test_torch_older_than_2_6_is_refused(tmp_path):
    """An installed torch < 2.6 is refused with the reason and what to do,
    before anything is installed."""
    proc = run_check_with_torch(tmp_path, '2.5.1')
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert 'torch 2.5.1 is installed, but glamor_mm needs torch >= 2.6' in \
        proc.stderr
    assert "pip install 'torch>=2.6'" in proc.stderr
    assert 'to install:' not in proc.stdout


def test_torch_newer_than_tested_is_refused(tmp_path):
    """The bound of requirements/runtime.txt (torch < 2.15, see
    tests/test_checkpoint/test_safe_loading.py): a newer torch is refused
    with what to install."""
    proc = run_check_with_torch(tmp_path, '2.15.0')
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert 'torch 2.15.0 is installed, but glamor_mm is tested with ' \
        'torch < 2.15' in proc.stderr
    assert "pip install 'torch>=2.6,<2.15'" in proc.stderr
