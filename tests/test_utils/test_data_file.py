"""Data files are read as data: no code stored in them runs."""
import os
import os.path as osp
import pickle
import re
import tokenize

import numpy as np
import pytest

from glamor_mm.checkpoint import UntrustedCheckpointError, trust_checkpoint
from glamor_mm.utils import load_data_file

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
# The modules that may unpickle: they restrict what is unpickled (and fully
# unpickle only files trusted with trust_checkpoint, or map every foreign
# global to an inert stand-in).
SAFE_MODULES = {
    osp.join('glamor_mm', 'checkpoint', 'safe_unpickle.py'),
    osp.join('glamor_mm', 'checkpoint', 'conversion.py')
}
UNRESTRICTED = re.compile(
    r'\bpickle\.loads?\(|\bUnpickler\(|_weights_only_unpickler|'
    r'\btorch\.load\(|\bmmengine\.(fileio\.)?load\(|\bfileio\.load\(|'
    r'\bmmcv\.load\(|allow_pickle=True|\byaml\.(unsafe_|full_)?load\(|'
    r'\bjoblib\.load|\bdill\.|\bmarshal\.loads?\(|\bshelve\.open\(|'
    r'\bfrom (pickle|torch|mmengine|mmengine\.fileio|yaml|mmcv) import '
    r'[^;]*\b(load|loads|unsafe_load|full_load)\b')


def _code_lines(path):
    """Each line's code tokens (strings and comments left out), without
    spaces around ``.``, ``(`` and ``=``, so that ``torch.load (`` and
    ``torch.load(`` read alike and docstrings are not code."""
    with open(path, 'rb') as f:
        tokens = list(tokenize.tokenize(f.readline))
    lines = {}
    for tok in tokens:
        if tok.type in (tokenize.NAME, tokenize.OP, tokenize.NUMBER):
            lines.setdefault(tok.start[0], []).append(tok.string)
    return {
        n: re.sub(r'\s*([.(=])\s*', r'\1', ' '.join(parts))
        for n, parts in lines.items()
    }


def _sources():
    for folder in ('glamor_mm', 'tools', 'demo'):
        for dirpath, _, files in os.walk(osp.join(ROOT, folder)):
            for name in sorted(files):
                if name.endswith('.py'):
                    yield osp.relpath(osp.join(dirpath, name), ROOT)


def test_no_unrestricted_load_outside_the_safe_module():
    found = [
        f'{path}:{line}: {code}' for path in _sources() if path not in SAFE_MODULES
        for line, code in sorted(_code_lines(osp.join(ROOT, path)).items())
        if UNRESTRICTED.search(code)
    ]
    assert not found, (
        'Unrestricted loads (use glamor_mm.utils.load_data_file for data '
        'files, safe_pickle_load for dumps, the CheckpointLoader for '
        'checkpoints):\n' + '\n'.join(found))


def test_the_scan_finds_what_it_looks_for(tmp_path):
    """The pattern catches each spelling (the scan above is not vacuous)."""
    for code in ('x = mmengine.load(f)', 'from mmengine.fileio import load',
                 'from mmengine import dump, load as ld', 'pickle.load(f)',
                 'torch.load(p, weights_only=False)',
                 'np.load(p, allow_pickle=True)', 'yaml.load(text)',
                 'yaml.unsafe_load(text)'):
        path = tmp_path / 'code.py'
        path.write_text(code + '\n')
        assert any(UNRESTRICTED.search(c)
                   for c in _code_lines(path).values()), code
    path.write_text('"""torch.load(x)"""  # pickle.load(f)\n'
                    'yaml.safe_load(t); json.load(f); np.load(p)\n')
    assert not any(UNRESTRICTED.search(c) for c in _code_lines(path).values())


@pytest.mark.parametrize('name', ['ann.pkl', 'ann.pickle'])
def test_pickle_refused_without_opt_in(tmp_path, crafted_pickle, name):
    marker = crafted_pickle(tmp_path / name)
    with pytest.raises(
            ValueError,
            match=re.escape(name) + ': it is a pickle.*allow_pickle=True'):
        load_data_file(str(tmp_path / name))
    assert not osp.exists(marker)


def test_crafted_pickle_refused_with_opt_in(tmp_path, crafted_pickle):
    path = str(tmp_path / 'ann.pkl')
    marker = crafted_pickle(path)
    with pytest.raises(UntrustedCheckpointError, match='ann.pkl'):
        load_data_file(path, allow_pickle=True)
    assert not osp.exists(marker)
    # the payload is live: an unrestricted unpickle creates the marker
    with trust_checkpoint(path):
        load_data_file(path, allow_pickle=True)
    assert osp.exists(marker)


def test_plain_data_pickle_loads_with_opt_in(tmp_path):
    data = dict(
        metainfo=dict(classes=['a']),
        data_list=[dict(img_path='x.png', face_bbox=np.arange(4.))])
    path = tmp_path / 'ann.pkl'
    path.write_bytes(pickle.dumps(data, protocol=2))
    loaded = load_data_file(str(path), allow_pickle=True)
    assert loaded['metainfo'] == data['metainfo']
    np.testing.assert_array_equal(loaded['data_list'][0]['face_bbox'],
                                  np.arange(4.))


def test_yaml_is_read_with_the_safe_loader(tmp_path):
    marker = tmp_path / 'yaml-marker'
    path = tmp_path / 'ann.yaml'
    path.write_text(f'a: !!python/object/apply:io.open ["{marker}", "w"]\n')
    with pytest.raises(ValueError, match='ann.yaml is not a valid YAML'):
        load_data_file(str(path))
    assert not marker.exists()
    path.write_text('metainfo: {classes: [a]}\ndata_list: []\n')
    assert load_data_file(str(path)) == dict(
        metainfo=dict(classes=['a']), data_list=[])


def test_other_extensions_are_json(tmp_path, crafted_pickle):
    path = tmp_path / 'ann.txt'
    path.write_text('{"data_list": [1, 2]}')
    assert load_data_file(str(path)) == dict(data_list=[1, 2])
    # pickle bytes behind a .json name are not JSON, and are never unpickled
    marker = crafted_pickle(tmp_path / 'ann.json')
    with pytest.raises(ValueError, match='ann.json is not a valid JSON'):
        load_data_file(str(tmp_path / 'ann.json'))
    assert not osp.exists(marker)
