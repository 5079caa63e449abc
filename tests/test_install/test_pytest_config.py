"""CI runs the README's test command, `python -m pytest tests`: it must run
the slow tests too, while `-m "not slow"` is the documented fast loop."""
import configparser
import os.path as osp

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TEST_COMMAND = ('bash tools/setup_env.sh --tests && python -m pytest tests\n')


def test_slow_marker_is_registered_and_selected_by_default():
    cfg = configparser.ConfigParser()
    cfg.read(osp.join(ROOT, 'setup.cfg'))
    pytest_cfg = cfg['tool:pytest']
    assert any(
        line.startswith('slow:')
        for line in pytest_cfg['markers'].strip().splitlines())
    addopts = pytest_cfg['addopts'].split()
    assert '--strict-markers' in addopts
    assert '-m' not in addopts, 'the default run must not deselect tests'


def test_ci_runs_the_readme_test_command():
    readme = open(osp.join(ROOT, 'README.md'), encoding='utf-8').read()
    ci = open(osp.join(ROOT, '.ci', 'run'), encoding='utf-8').read()
    assert TEST_COMMAND in readme and TEST_COMMAND in ci
    assert 'python -m pytest tests -m "not slow"' in readme
