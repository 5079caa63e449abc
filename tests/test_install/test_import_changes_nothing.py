"""``import glamor_mm`` leaves MMEngine and MMPretrain as they are: its
checkpoint safety is opt-in (``GlamorRunner``, ``StrictPretrained``,
``SafeCheckpointHook``, the checked loaders)."""
import os
import os.path as osp
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

PROBE = '''
import mmengine.runner.checkpoint as ckpt
from mmengine.fileio import FileClient, LocalBackend
from mmengine.fileio.backends import registry_utils
from mmengine.hooks import CheckpointHook
from mmengine.model.weight_init import PretrainedInit
from mmengine.runner import CheckpointLoader
from mmpretrain.registry import HOOKS, WEIGHT_INITIALIZERS


def state():
    return dict(
        schemes=dict(CheckpointLoader._schemes),
        backends=dict(registry_utils.backends),
        prefixes=dict(registry_utils.prefix_to_backends),
        clients=dict(FileClient._backends),
        client_prefixes=dict(FileClient._prefix_to_backends),
        pretrained=WEIGHT_INITIALIZERS.get('Pretrained'),
        checkpoint_hook=HOOKS.get('CheckpointHook'))


before = state()
import glamor_mm, glamor_mm.apis  # noqa: E401,F401 (the whole package)
after = state()
for key in before:
    added = {k for k in after[key] if k not in before[key]} if isinstance(
        after[key], dict) else set()
    changed = after[key] != before[key] if not isinstance(
        after[key], dict) else {
            k for k in before[key] if after[key].get(k) is not before[key][k]}
    assert not changed, (key, changed)
    assert added <= {'atomic_local'}, (key, added)
assert after['schemes'][''] is ckpt.load_from_local
assert after['schemes']['http://'] is ckpt.load_from_http
assert after['schemes']['https://'] is ckpt.load_from_http
assert after['backends']['local'] is LocalBackend
assert after['prefixes'][''] is LocalBackend
assert after['pretrained'] is PretrainedInit
assert after['checkpoint_hook'] is CheckpointHook
assert 'Pretrained' not in WEIGHT_INITIALIZERS.module_dict
assert 'CheckpointHook' not in HOOKS.module_dict
print('ok')
'''


def test_import_glamor_mm_changes_nothing_of_mmengine_or_mmpretrain():
    """In a fresh process: MMEngine's checkpoint loaders for local files and
    http(s), its ``local`` file backend (fileio and FileClient), and what
    MMPretrain's registries give for ``Pretrained`` and ``CheckpointHook``
    are the stock objects after ``import glamor_mm``. The only addition is
    the new backend name ``atomic_local``."""
    proc = subprocess.run([sys.executable, '-c', PROBE],
                          env=dict(os.environ, PYTHONPATH=ROOT),
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode == 0 and 'ok' in proc.stdout, proc.stderr[-3000:]
