"""glamor_mm's ``StrictPretrained`` init: a checkpoint that does not fit the
module is an error naming the file, the prefix and the keys."""
import pytest
import torch
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

from glamor_mm.checkpoint import CheckpointMismatchError

ENCODER = dict(type='GlamorEncoder', widths=(4, 8))


def whole_model_checkpoint(path, widths=(4, 8)):
    """A classifier-like checkpoint: the encoder under ``face_backbone.``,
    plus a head."""
    state = MODELS.build(dict(ENCODER, widths=widths)).state_dict()
    state_dict = {f'face_backbone.{k}': v for k, v in state.items()}
    state_dict['head.fc.weight'] = torch.zeros(7, 8)
    torch.save(dict(state_dict=state_dict), path)
    return str(path), state


def init_encoder(**init_cfg):
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        encoder = MODELS.build(
            dict(ENCODER, init_cfg=dict(type='StrictPretrained', **init_cfg)))
        encoder.init_weights()
    return encoder


def test_matching_prefix_loads_every_tensor(tmp_path):
    path, state = whole_model_checkpoint(tmp_path / 'a.pth')
    encoder = init_encoder(checkpoint=path, prefix='face_backbone.')
    for key, value in state.items():
        assert torch.equal(encoder.state_dict()[key], value), key


def test_prefix_that_matches_nothing_fails(tmp_path):
    path, _ = whole_model_checkpoint(tmp_path / 'a.pth')
    with pytest.raises(CheckpointMismatchError) as err:
        init_encoder(checkpoint=path, prefix='context_backbone.')
    message = str(err.value)
    assert path in message and "'context_backbone.'" in message
    assert 'face_backbone., head.' in message


def test_no_prefix_on_a_whole_model_checkpoint_fails(tmp_path):
    """Without the prefix no key fits the encoder: an error, even with
    ``partial=True`` (MMEngine warned and left the encoder random)."""
    path, _ = whole_model_checkpoint(tmp_path / 'a.pth')
    for partial in (False, True):
        with pytest.raises(CheckpointMismatchError, match='nothing in'):
            init_encoder(checkpoint=path, partial=partial)


def test_wrong_shapes_fail_unless_partial(tmp_path):
    path, _ = whole_model_checkpoint(tmp_path / 'a.pth', widths=(4, 16))
    with pytest.raises(CheckpointMismatchError) as err:
        init_encoder(checkpoint=path, prefix='face_backbone.')
    assert 'of the wrong shape: ' in str(err.value)
    assert 'blocks.1.conv.weight (16, 4, 3, 3) (model: (8, 4, 3, 3))' in \
        str(err.value)
    assert 'partial=True' in str(err.value)
    torch.manual_seed(0)
    encoder = init_encoder(
        checkpoint=path, prefix='face_backbone.', partial=True)
    # the tensors that fit are loaded
    loaded = torch.load(
        path)['state_dict']['face_backbone.blocks.0.conv.weight']
    assert torch.equal(encoder.state_dict()['blocks.0.conv.weight'], loaded)


def test_children_that_initialise_themselves_keep_the_loaded_weights(tmp_path):
    """MMEngine runs a ``Pretrained`` init after the module's children have
    initialised themselves, any other type before them: ``StrictPretrained``
    keeps MMEngine's order, so a child that re-initialises itself (mmcv's
    ``ConvModule``) does not overwrite the loaded weights."""
    from mmcv.cnn import ConvModule
    from mmengine.model import BaseModule

    class Net(BaseModule):

        def __init__(self, init_cfg=None):
            super().__init__(init_cfg)
            self.conv = ConvModule(3, 4, 3)

    state = {k: torch.randn_like(v) for k, v in Net().state_dict().items()}
    path = str(tmp_path / 'net.pth')
    torch.save(dict(state_dict=state), path)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        net = Net(init_cfg=dict(type='StrictPretrained', checkpoint=path))
        net.init_weights()
    for key, value in state.items():
        assert torch.equal(net.state_dict()[key], value), key
