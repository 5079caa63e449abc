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
