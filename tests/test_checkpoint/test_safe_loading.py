"""Safe checkpoint loading: MMEngine's own checkpoints load, arbitrary
pickles are refused without running their code unless trusted."""
import argparse
import functools
import io
import http.server
import os.path as osp
import threading

import mmengine
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.registry import DefaultScope
from mmengine.utils import digit_version
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from glamor_mm.checkpoint import (CorruptCheckpointError,
                                  UntrustedCheckpointError, http_cache_path,
                                  load_checkpoint_checked, safe_pickle_load,
                                  trust_checkpoint, trust_config_checkpoints)
from glamor_mm.checkpoint.conversion import load_foreign_checkpoint
from glamor_mm.checkpoint.loaders import load_checkpoint_file

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


class WriteMarker:
    """Unpickling this object runs code: it writes the marker file."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return exec, (f'open({self.marker!r}, "w").write("pwned")', )


class HistoryBufferDunder:
    """Pickles as ``getattr(HistoryBuffer, '__init__')``."""

    def __reduce__(self):
        return getattr, (HistoryBuffer, '__init__')


def mmengine_like_checkpoint() -> dict:
    """What a Runner saves: a HistoryBuffer and numpy values in the message
    hub, numpy scalars in meta."""
    hub = MessageHub('test_checkpoint_hub')
    for value in (0.5, 0.25):
        hub.update_scalar('train/loss', value)
    hub.update_info('iter', 3)
    return dict(
        meta=dict(epoch=1, seed=np.int64(7), lr=np.float32(0.1)),
        state_dict=dict(weight=torch.arange(4.)),
        message_hub=hub.state_dict(),
        history=np.arange(3, dtype=np.float64))


@pytest.fixture
def evil(tmp_path):
    marker = tmp_path / 'marker.txt'
    path = tmp_path / 'evil.pth'
    torch.save(
        dict(
            state_dict=dict(weight=torch.ones(2)), x=WriteMarker(str(marker))),
        path)
    return str(path), marker


def test_mmengine_checkpoint_loads(tmp_path):
    path = str(tmp_path / 'ok.pth')
    torch.save(mmengine_like_checkpoint(), path)
    ckpt = load_checkpoint_file(path, map_location='cpu')
    loss = ckpt['message_hub']['log_scalars']['train/loss']
    assert isinstance(loss, HistoryBuffer)
    assert loss.mean() == pytest.approx(0.375)
    assert loss.current() == pytest.approx(0.25)
    assert ckpt['meta']['seed'] == 7 and ckpt['meta']['seed'].dtype == np.int64
    np.testing.assert_array_equal(ckpt['history'], [0., 1., 2.])
    torch.testing.assert_close(ckpt['state_dict']['weight'], torch.arange(4.))


def test_malicious_checkpoint_is_refused_without_running_code(evil):
    path, marker = evil
    model = torch.nn.Linear(1, 2)
    for load in (lambda: load_checkpoint_file(path),
                 lambda: load_checkpoint_checked(model, path)):
        with pytest.raises(UntrustedCheckpointError) as err:
            load()
        assert not marker.exists()
    message = str(err.value)
    assert path in message
    assert 'builtins.exec' in message
    assert '--trust-checkpoint' in message
    assert 'trust_checkpoint(' in message


def test_http_cache_and_trust_are_per_url(http_servers, tmp_path):
    """Two URLs ending in the same file name are two files: the second is
    downloaded, and trust given to the first does not unpickle it."""
    (root_a, url_a), (root_b, url_b) = http_servers
    marker = tmp_path / 'marker.txt'
    torch.save(dict(state_dict=dict(w=torch.zeros(1))), root_a / 'model.pth')
    torch.save(
        dict(state_dict=dict(w=torch.ones(1)), x=WriteMarker(str(marker))),
        root_b / 'model.pth')
    # a name with a hash-like suffix: MMEngine checks no hash, neither do we
    torch.save(
        dict(state_dict=dict(w=torch.ones(2))), root_a / 'net-0123abcd.pth')
    with trust_checkpoint(f'{url_a}/model.pth'):
        ckpt = load_checkpoint_file(f'{url_a}/model.pth')
        assert ckpt['state_dict']['w'].item() == 0
        with pytest.raises(UntrustedCheckpointError, match=url_b):
            load_checkpoint_file(f'{url_b}/model.pth')
    assert not marker.exists()
    assert load_checkpoint_file(
        f'{url_a}/net-0123abcd.pth')['state_dict']['w'].shape == (2, )
    paths = {http_cache_path(f'{url}/model.pth') for url in (url_a, url_b)}
    assert len(paths) == 2 and all(osp.isfile(p) for p in paths)
    # served again from the cache: the servers' files are gone
    (root_a / 'model.pth').unlink()
    assert load_checkpoint_file(f'{url_a}/model.pth')['state_dict']['w'] == 0


def test_torch_is_bounded_to_the_tested_versions():
    """torch >= 2.6 has ``safe_globals`` and loads ``weights_only`` by
    default. safe_unpickle and conversion also use
    ``torch._weights_only_unpickler`` (the unpickler of plain pickles, the
    globals a pickle names, those torch allows), which torch does not
    export: the requirements stop at the versions tested here, and a new
    torch moves the bound once this test passes with it."""
    from torch import _weights_only_unpickler
    lines = open(osp.join(ROOT, 'requirements', 'runtime.txt')).read()
    assert 'torch>=2.6,<2.15' in lines.split()
    assert digit_version('2.6.0') <= digit_version(
        torch.__version__) < digit_version('2.15.0')
    for name in ('load', 'get_globals_in_pkl', '_get_allowed_globals'):
        assert callable(getattr(_weights_only_unpickler, name)), name


def write_test_dump(path: str, extra=None) -> None:
    """A dump as ``tools/test.py --out`` writes it (``mmengine.dump`` of
    ``DataSample.to_dict()``), optionally with an extra object."""
    sample = DataSample(
        metainfo=dict(
            img_path='a.png', ori_shape=(4, 6), face_bbox=np.ones(4)))
    sample.set_gt_label(2).set_pred_score(torch.tensor([.1, .2, .7]))
    sample.set_pred_label(2).set_field(torch.rand(3, 3), 'attention')
    result = sample.to_dict()
    if extra is not None:
        result['extra'] = extra
    mmengine.dump([result], path)


def test_prediction_dump_loads_safely(tmp_path):
    path = str(tmp_path / 'preds.pkl')
    write_test_dump(path)
    result = safe_pickle_load(path)[0]
    assert result['img_path'] == 'a.png' and result['ori_shape'] == (4, 6)
    torch.testing.assert_close(result['pred_score'], torch.tensor([.1, .2,
                                                                   .7]))
    assert result['gt_label'].tolist() == [2]
    np.testing.assert_array_equal(result['face_bbox'], np.ones(4))


def test_malicious_prediction_dump_is_refused(tmp_path):
    marker = tmp_path / 'marker.txt'
    path = str(tmp_path / 'preds.pkl')
    write_test_dump(path, extra=WriteMarker(str(marker)))
    with pytest.raises(UntrustedCheckpointError) as err:
        safe_pickle_load(path)
    assert not marker.exists()
    message = str(err.value)
    assert path in message and 'builtins.exec' in message
    assert '--trust-dump' in message
    with trust_checkpoint(path):
        safe_pickle_load(path)
    assert marker.read_text() == 'pwned'


def test_dump_of_another_pickle_protocol_is_explained(tmp_path):
    """Torch's weights-only unpickler reads protocol 2 (what mmengine.dump
    and so tools/test.py --out write); other protocols get a clear error."""
    path = str(tmp_path / 'preds.pkl')
    mmengine.dump([dict(a=1)], path, protocol=4)
    with pytest.raises(UntrustedCheckpointError, match='protocol 4'):
        safe_pickle_load(path)


def test_nested_tensor_bytes_are_restricted(tmp_path):
    """A plain-pickled tensor holds a nested torch.save file; its content
    goes through the same allow-list."""
    marker = tmp_path / 'marker.txt'

    class EvilStorage:

        def __reduce__(self):
            buffer = io.BytesIO()
            torch.save(
                WriteMarker(str(marker)),
                buffer,
                _use_new_zipfile_serialization=False)
            return torch.storage._load_from_bytes, (buffer.getvalue(), )

    path = str(tmp_path / 'preds.pkl')
    mmengine.dump([dict(x=EvilStorage())], path)
    with pytest.raises(UntrustedCheckpointError, match='global: GLOBAL exec'):
        safe_pickle_load(path)
    assert not marker.exists()


def test_trust_checkpoint_covers_pretrained_inits(tmp_path):
    """``--trust-checkpoint`` (``trust_config_checkpoints``) trusts the
    checkpoint of a ``StrictPretrained`` init_cfg too."""
    encoder = dict(type='GlamorEncoder', widths=(4, 4))
    state = MODELS.build(encoder).state_dict()
    path = str(tmp_path / 'old_style.pth')
    # like old checkpoints that store the training arguments
    torch.save(dict(state_dict=state, args=argparse.Namespace(lr=0.1)), path)
    cfg = Config(
        dict(
            model=dict(
                type='GlamorClassifier',
                face_backbone=dict(
                    encoder,
                    init_cfg=dict(type='StrictPretrained', checkpoint=path)))))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model.face_backbone)
        with pytest.raises(UntrustedCheckpointError,
                           match='argparse.Namespace'):
            model.init_weights()
        assert trust_config_checkpoints(cfg) == [path]
        model.init_weights()
    for key, value in state.items():
        torch.testing.assert_close(model.state_dict()[key], value)


def test_trusted_checkpoint_is_unpickled_fully(evil):
    path, marker = evil
    # the crafted file really runs code when trusted: proof that the refusal
    # above is what protects the user
    with trust_checkpoint(osp.join(osp.dirname(path), '.', 'evil.pth')):
        ckpt = load_checkpoint_file(path)
    assert marker.read_text() == 'pwned'
    torch.testing.assert_close(ckpt['state_dict']['weight'], torch.ones(2))
    marker.unlink()
    with pytest.raises(UntrustedCheckpointError):
        load_checkpoint_file(path)  # trust ended with the block
    assert not marker.exists()


def test_getattr_is_limited_to_history_buffer_statistics(tmp_path):
    path = str(tmp_path / 'dunder.pth')
    torch.save(dict(x=HistoryBufferDunder()), path)
    with pytest.raises(UntrustedCheckpointError, match='__init__'):
        load_checkpoint_file(path)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def http_servers(tmp_path):
    """Two HTTP servers on 127.0.0.1, serving ``tmp_path / 'www0'`` and
    ``'www1'``; downloads go to a temporary torch hub dir."""
    servers, roots = [], []
    for i in range(2):
        root = tmp_path / f'www{i}'
        root.mkdir()
        server = http.server.ThreadingHTTPServer(
            ('127.0.0.1', 0), functools.partial(_QuietHandler, directory=root))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        roots.append((root, f'http://127.0.0.1:{server.server_address[1]}'))
    hub_dir = torch.hub.get_dir()
    torch.hub.set_dir(str(tmp_path / 'hub'))
    yield roots
    torch.hub.set_dir(hub_dir)
    for server in servers:
        server.shutdown()
        server.server_close()


def test_http_checkpoints_load_safely(http_servers, tmp_path):
    (root, url), _ = http_servers
    torch.save(mmengine_like_checkpoint(), root / 'ok.pth')
    ckpt = load_checkpoint_file(f'{url}/ok.pth', map_location='cpu')
    assert ckpt['message_hub']['log_scalars']['train/loss'].mean() == 0.375
    cached = http_cache_path(f'{url}/ok.pth')
    assert cached.startswith(str(tmp_path / 'hub' / 'checkpoints'))
    assert osp.basename(cached) == 'ok.pth' and osp.isfile(cached)

    marker = tmp_path / 'marker.txt'
    torch.save(dict(x=WriteMarker(str(marker))), root / 'evil.pth')
    with pytest.raises(UntrustedCheckpointError, match=f'{url}/evil.pth'):
        load_checkpoint_file(f'{url}/evil.pth')
    assert not marker.exists()


def test_a_flipped_byte_is_refused_on_every_load(tmp_path,
                                                 flip_checkpoint_byte):
    """torch.load checks no CRC: the flipped byte used to load as a changed
    weight. Every loader now verifies the archive first."""
    path = str(tmp_path / 'flipped.pth')
    torch.save(dict(state_dict=dict(weight=torch.arange(8.))), path)
    flip_checkpoint_byte(path)
    changed = torch.load(path, weights_only=True)['state_dict']['weight']
    assert not torch.equal(changed, torch.arange(8.))  # torch's silence
    for load in (load_checkpoint_file, load_foreign_checkpoint):
        with pytest.raises(CorruptCheckpointError) as err:
            load(path)
        assert f'Cannot load {path}: the CRC-32 of its record ' in str(
            err.value)
        assert 'does not match' in str(err.value)


@pytest.mark.parametrize(
    'content, problem',
    [(b'', 'it is empty (0 bytes'),
     (None, 'its zip archive is truncated or damaged'),
     (b'not a checkpoint', 'it is not a torch.save file'),
     ('legacy', 'Cannot read {path} as a PyTorch checkpoint (truncated')])
def test_unreadable_files_name_the_file(tmp_path, content, problem):
    """A 0-byte file used to give a bare EOFError. ``None``: the first half
    of a zip checkpoint; ``'legacy'``: of one in torch < 1.6's format."""
    path = str(tmp_path / 'bad.pth')
    torch.save(
        dict(state_dict=dict(weight=torch.arange(8.))),
        path,
        _use_new_zipfile_serialization=content != 'legacy')
    data = open(path, 'rb').read()
    with open(path, 'wb') as f:
        f.write(content if isinstance(content, bytes) else data[:40])
    with pytest.raises(CorruptCheckpointError) as err:
        load_checkpoint_file(path)
    assert path in str(err.value) and problem.format(path=path) in str(
        err.value)


@pytest.mark.parametrize(
    'obj, held', [([torch.zeros(2)], 'it holds a list'),
                  (torch.zeros(2), 'it holds a Tensor'),
                  (dict(state_dict=[1, 2]), 'its state_dict is a list')])
def test_a_checkpoint_must_hold_a_dict(tmp_path, obj, held):
    """A list or a tensor used to fail with an AttributeError ('list' object
    has no attribute 'get') that named no file."""
    path = str(tmp_path / 'odd.pth')
    torch.save(obj, path)
    with pytest.raises(CorruptCheckpointError) as err:
        load_checkpoint_checked(torch.nn.Linear(2, 1), path)
    assert f'{path} is not a checkpoint: {held}, not a dict of tensors' in \
        str(err.value)
