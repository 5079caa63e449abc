"""tools/input_failures_cli.py: the option and exit status of the
commands that skip failed inputs."""
import argparse
import os.path as osp

import pytest

from glamor_mm.apis.input_failures import EXIT_INPUTS_FAILED

TOOLS = osp.join(osp.dirname(__file__), '..', '..', 'tools')


def test_exit_status_and_argument(capsys, monkeypatch):
    monkeypatch.syspath_prepend(TOOLS)
    from input_failures_cli import add_failure_argument, exit_if_failed
    exit_if_failed([], 'image', 3)  # nothing failed: returns
    with pytest.raises(SystemExit) as info:
        exit_if_failed([('x/a.png', 'OSError: empty')], 'image', 3)
    assert info.value.code == EXIT_INPUTS_FAILED == 3
    assert capsys.readouterr().err == (
        '1 of 3 image(s) failed and were skipped:\n'
        '  x/a.png: OSError: empty\n')
    parser = argparse.ArgumentParser()
    add_failure_argument(parser)
    assert parser.parse_args([]).max_consecutive_failures == 10
    assert parser.parse_args(['--max-consecutive-failures',
                              '0']).max_consecutive_failures == 0
