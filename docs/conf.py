"""Sphinx configuration of the glamor_mm documentation (Markdown with MyST,
as OpenMMLab's documentation).

Build it with ``sphinx-build -W -b html docs docs/_build/html``: ``-W`` makes
every warning, including a link to a missing page or heading, an error.
"""
import os.path as osp

HERE = osp.dirname(osp.abspath(__file__))


def _version() -> str:
    scope: dict = {}
    with open(osp.join(HERE, '..', 'glamor_mm', 'version.py')) as f:
        exec(compile(f.read(), 'version.py', 'exec'), scope)
    return scope['__version__']


project = 'glamor_mm'
author = 'glamor_mm contributors'
copyright = 'glamor_mm contributors'
version = release = _version()

extensions = ['myst_parser']
source_suffix = {'.md': 'markdown'}
master_doc = root_doc = 'index'
exclude_patterns = ['_build']

# `[text](page.md#a-heading)` links resolve against heading slugs; a link to a
# page or heading that does not exist is a warning (an error under -W).
myst_heading_anchors = 4
myst_enable_extensions = ['colon_fence']
suppress_warnings: list = []

html_theme = 'alabaster'
html_title = 'glamor_mm'
