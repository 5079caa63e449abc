"""docs/ builds with Sphinx + MyST with warnings as errors: a page left out
of the toctree, a broken Markdown construct or a link to a page or heading
that does not exist fails the build (and so this test)."""
import os.path as osp
import subprocess
import sys

import pytest

DOCS = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'docs')


def sphinx_build(src: str, out: str) -> subprocess.CompletedProcess:
    """Build ``src`` with the configuration of docs/ (``-c``)."""
    return subprocess.run([
        sys.executable, '-m', 'sphinx', '-W', '--keep-going', '-E', '-q',
        '-c', DOCS, '-b', 'html', src, out
    ],
                          capture_output=True,
                          text=True,
                          timeout=300)


def test_docs_build_without_warnings(tmp_path):
    proc = sphinx_build(DOCS, str(tmp_path / 'html'))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    for page in ('index', 'get_started', 'user_guides/datasets',
                 'advanced/checkpoint_safety', 'results', 'attention'):
        assert (tmp_path / 'html' / f'{page}.html').is_file(), page


@pytest.mark.parametrize(
    'link, message',
    [('[gone](missing.md)', 'missing.md'),
     ('[gone](page.md#no-such-heading)', 'no-such-heading')])
def test_broken_internal_link_fails_the_build(tmp_path, link, message):
    src = tmp_path / 'src'
    src.mkdir()
    (src / 'index.md').write_text(
        '# Index\n\n```{toctree}\npage.md\n```\n\n' + link + '\n')
    (src / 'page.md').write_text('# Page\n\n## A heading\n')
    proc = sphinx_build(str(src), str(tmp_path / 'html'))
    assert proc.returncode != 0
    assert message in proc.stderr, proc.stderr[-3000:]
