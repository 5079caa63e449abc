"""Two-stage training (paper Sec. 4.2) end to end on toy data."""
import json
import os.path as osp

import pytest
import torch
from mmengine.runner import Runner

from glamor_mm.checkpoint.loaders import load_checkpoint_file

STAGE1_FACE = 'two_stage/glamor-stage1-face_original_1xb32-60e_ncaers.py'
STAGE1_CONTEXT = 'two_stage/glamor-stage1-context_original_1xb32-60e_ncaers.py'
STAGE2 = 'two_stage/glamor-stage2_original_1xb32-60e_ncaers.py'


def train_stage1(on_toy, config, name):
    cfg = on_toy(config, name=name)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    Runner.from_cfg(cfg).train()
    path = osp.join(cfg.work_dir, 'epoch_1.pth')
    return path, load_checkpoint_file(path, map_location='cpu')['state_dict']


def test_two_stage_chain(on_toy):
    face_ckpt, face_state = train_stage1(on_toy, STAGE1_FACE, 'stage1_face')
    context_ckpt, context_state = train_stage1(on_toy, STAGE1_CONTEXT,
                                               'stage1_context')
    assert not any(k.startswith('context_backbone.') for k in face_state)
    assert not any(k.startswith('face_backbone.') for k in context_state)

    cfg = on_toy(STAGE2, name='stage2', num_train=4)
    assert cfg.model.face_backbone.init_cfg.prefix == 'face_backbone.'
    cfg.model.face_backbone.init_cfg.checkpoint = face_ckpt
    cfg.model.context_backbone.init_cfg.checkpoint = context_ckpt
    runner = Runner.from_cfg(cfg)
    model = runner.model
    model.init_weights()  # what runner.train() does first

    # Both encoders start from the final stage-1 weights (BN stats too).
    for stream, state in (('face_backbone', face_state), ('context_backbone',
                                                          context_state)):
        loaded = getattr(model, stream).state_dict()
        expected = {
            k[len(stream) + 1:]: v
            for k, v in state.items() if k.startswith(f'{stream}.')
        }
        assert expected and set(loaded) == set(expected)
        for key, value in expected.items():
            assert torch.equal(loaded[key], value), f'{stream}.{key}'

    runner.train()
    assert runner.iter == 2
    with open(osp.join(cfg.work_dir, 'fusion_weights.json')) as f:
        history = json.load(f)
    assert [h['epoch'] for h in history] == [1]
    # the mean of the two equal batches' logged means of the real head
    logged = runner.message_hub.get_scalar('train/fusion_w_face').data[0]
    assert len(logged) == 2
    assert history[0]['w_face'] == pytest.approx(float(logged.mean()))
