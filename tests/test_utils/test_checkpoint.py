"""Safe checkpoint loading: MMEngine's own checkpoints load, arbitrary
pickles are refused without running their code unless trusted."""
import functools
import http.server
import os.path as osp
import threading

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner import CheckpointLoader, load_checkpoint
from mmengine.runner.checkpoint import _load_checkpoint

from glamor_mm.utils import UntrustedCheckpointError, trust_checkpoint
from glamor_mm.utils.checkpoint import load_from_http, load_from_local


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
        dict(state_dict=dict(weight=torch.ones(2)), x=WriteMarker(str(marker))),
        path)
    return str(path), marker


def test_loaders_are_registered():
    assert CheckpointLoader._get_checkpoint_loader('a.pth') is load_from_local
    for url in ('http://x/a.pth', 'https://x/a.pth'):
        assert CheckpointLoader._get_checkpoint_loader(url) is load_from_http


def test_mmengine_checkpoint_loads(tmp_path):
    path = str(tmp_path / 'ok.pth')
    torch.save(mmengine_like_checkpoint(), path)
    ckpt = _load_checkpoint(path, map_location='cpu')
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
    for load in (lambda: _load_checkpoint(path),
                 lambda: load_checkpoint(model, path, map_location='cpu')):
        with pytest.raises(UntrustedCheckpointError) as err:
            load()
        assert not marker.exists()
    message = str(err.value)
    assert path in message
    assert 'builtins.exec' in message
    assert '--trust-checkpoint' in message
    assert 'trust_checkpoint(' in message


def test_trusted_checkpoint_is_unpickled_fully(evil):
    path, marker = evil
    # the crafted file really runs code when trusted: proof that the refusal
    # above is what protects the user
    with trust_checkpoint(osp.join(osp.dirname(path), '.', 'evil.pth')):
        ckpt = _load_checkpoint(path)
    assert marker.read_text() == 'pwned'
    torch.testing.assert_close(ckpt['state_dict']['weight'], torch.ones(2))
    marker.unlink()
    with pytest.raises(UntrustedCheckpointError):
        _load_checkpoint(path)  # trust ended with the block
    assert not marker.exists()


def test_getattr_is_limited_to_history_buffer_statistics(tmp_path):
    path = str(tmp_path / 'dunder.pth')
    torch.save(dict(x=HistoryBufferDunder()), path)
    with pytest.raises(UntrustedCheckpointError, match='__init__'):
        _load_checkpoint(path)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def http_root(tmp_path):
    """Serve ``tmp_path / 'www'`` on 127.0.0.1; downloads go to a temporary
    torch hub dir."""
    root = tmp_path / 'www'
    root.mkdir()
    server = http.server.ThreadingHTTPServer(
        ('127.0.0.1', 0), functools.partial(_QuietHandler, directory=root))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    hub_dir = torch.hub.get_dir()
    torch.hub.set_dir(str(tmp_path / 'hub'))
    yield root, f'http://127.0.0.1:{server.server_address[1]}'
    torch.hub.set_dir(hub_dir)
    server.shutdown()
    server.server_close()


def test_http_checkpoints_load_safely(http_root, tmp_path):
    root, url = http_root
    torch.save(mmengine_like_checkpoint(), root / 'ok.pth')
    ckpt = _load_checkpoint(f'{url}/ok.pth', map_location='cpu')
    assert ckpt['message_hub']['log_scalars']['train/loss'].mean() == 0.375
    assert osp.isfile(tmp_path / 'hub' / 'checkpoints' / 'ok.pth')

    marker = tmp_path / 'marker.txt'
    torch.save(dict(x=WriteMarker(str(marker))), root / 'evil.pth')
    with pytest.raises(UntrustedCheckpointError, match=f'{url}/evil.pth'):
        _load_checkpoint(f'{url}/evil.pth')
    assert not marker.exists()
