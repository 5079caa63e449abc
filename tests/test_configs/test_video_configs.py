"""Every video config (``configs/video/``) builds and trains one iteration.

The configs' own pipelines read a few generated toy videos (CAER layout with
face tracks); one training step runs through ``model.train_step`` with the
config's optimizer, and one test video goes through the test pipeline and
``predict`` (its clips' scores averaged).
"""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import default_collate, pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmpretrain.registry import DATASETS, MODELS

import glamor_mm  # noqa: F401
from glamor_mm.datasets.toy.caer_videos import generate_toy_caer_videos
from glamor_mm.datasets.toy.caers import GUIDED_COLORS
from glamor_mm.datasets.toy.guided_videos import (NUM_OBJECTS,
                                                  guided_video_frame_cues)
from glamor_mm.datasets.transforms.load_video_frames import \
    read_frames_opencv

CONFIG_ROOT = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs')
VIDEO_CONFIGS = sorted(
    osp.relpath(path, CONFIG_ROOT)
    for path in glob.glob(osp.join(CONFIG_ROOT, 'video', '*.py')))


def test_video_configs_found():
    names = {osp.basename(name) for name in VIDEO_CONFIGS}
    for row in ('caernet-f', 'caernet-c-ca', 'caernet-f-c', 'caernet-f-c-ca',
                'caernet-f-c-fa', 'caernet'):
        assert f'{row}_original3d_1xb32-12e_caer.py' in names
    assert 'c3d_sports1m-pre_1xb32-12e_caer.py' in names
    assert 'glamor_original3d_1xb32-12e_caer.py' in names
    for toy in ('caernet-f-c-ca_original3d', 'caernet_original3d',
                'glamor_original3d', 'caernet-f-c_framewise3d'):
        assert f'{toy}_1xb8-40e_toy-videos.py' in names


NUM_FRAMES = 16


@pytest.fixture(scope='module')
def toy_video_root(tmp_path_factory) -> str:
    """One 16-frame toy video per class and split: one 16-frame clip for the
    CAER configs, three 8-frame clips (stride 4) for the toy config."""
    root = str(tmp_path_factory.mktemp('toy_caer_videos'))
    generate_toy_caer_videos(
        root,
        num_per_class=dict(train=1, validation=1, test=1),
        num_frames=(NUM_FRAMES, NUM_FRAMES))
    return root


@pytest.mark.parametrize('name', VIDEO_CONFIGS)
def test_video_config_trains_one_iteration(name, toy_video_root):
    torch.manual_seed(0)
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(osp.join(CONFIG_ROOT, name))
    assert cfg.default_scope == 'mmpretrain'
    model_cfg = cfg.model.copy()
    model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    # init_weights is left out: the C3D baseline loads a user checkpoint
    model = MODELS.build(model_cfg)
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)

    train_cfg = cfg.train_dataloader.dataset.copy()
    train_cfg.data_root = toy_video_root
    train_set = DATASETS.build(train_cfg)
    assert len(train_set) == 7
    # one video (full-size 3D models are slow on a CPU; BN works with N=1)
    batch = default_collate([train_set[4]])
    assert batch['inputs']['face'].shape[:2] == (1, 1)  # one clip a video
    before = [p.detach().clone() for p in model.parameters()]
    model.train()
    losses = model.train_step(batch, optim_wrapper)
    assert torch.isfinite(losses['loss'])
    changed = sum(not torch.equal(a, b.detach())
                  for a, b in zip(before, model.parameters()))
    assert changed > 0

    test_cfg = cfg.test_dataloader.dataset.copy()
    test_cfg.data_root = toy_video_root
    test_set = DATASETS.build(test_cfg)
    sample = test_set[2]
    clip_len = sample['inputs']['context'].shape[2]
    num_clips = sample['data_samples'].num_clips
    assert num_clips == 1 + (NUM_FRAMES - clip_len) // (clip_len // 2)
    model.eval()
    (pred, ) = model.test_step(pseudo_collate([sample]))
    assert pred.clip_scores.shape == (num_clips, 7)
    torch.testing.assert_close(pred.pred_score, pred.clip_scores.mean(0))
    assert int(pred.gt_label) == 2


# config -> (head branches, neck, fusion); CAER-Net Table 3 and Table 5
VIDEO_ROWS = {
    'caernet-f_original3d_1xb32-12e_caer.py':
    (('face', ), 'GlobalAveragePoolingTwoViewNeck', 'net'),
    'caernet-c-ca_original3d_1xb32-12e_caer.py':
    (('context', ), 'ContextAttentionNeck', 'net'),
    'caernet-f-c_original3d_1xb32-12e_caer.py':
    (('face', 'context'), 'GlobalAveragePoolingTwoViewNeck', 'concat'),
    'caernet-f-c-ca_original3d_1xb32-12e_caer.py':
    (('face', 'context'), 'ContextAttentionNeck', 'concat'),
    'caernet-f-c-fa_original3d_1xb32-12e_caer.py':
    (('face', 'context'), 'GlobalAveragePoolingTwoViewNeck', 'net'),
    'caernet_original3d_1xb32-12e_caer.py': (('face', 'context'),
                                             'ContextAttentionNeck', 'net'),
    'glamor_original3d_1xb32-12e_caer.py': (('face', 'context'),
                                            'GlobalLocalAttentionNeck', 'net'),
    'c3d_sports1m-pre_1xb32-12e_caer.py':
    (('context', ), 'GlobalAveragePoolingTwoViewNeck', 'net'),
}


def mask_face_flags(pipeline) -> list:
    """``enabled`` of every MaskFace inside the per-frame transforms."""
    return [
        t.get('enabled', True) for step in pipeline
        for t in step.get('transforms', []) if t['type'] == 'MaskFace'
    ]


@pytest.mark.parametrize('name', sorted(VIDEO_ROWS))
def test_video_row_is_the_paper_setting(name):
    branches, neck, fusion = VIDEO_ROWS[name]
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(osp.join(CONFIG_ROOT, 'video', name))
    model = cfg.model
    assert tuple(model.head.branches) == branches
    assert model.neck.type == neck
    if len(branches) == 2:
        assert model.head.fusion == fusion
    if neck == 'ContextAttentionNeck':  # CAER-Net eq. 3: per time step
        assert model.neck.softmax_over == 'space'
        assert model.neck.conv_cfg.type == 'Conv3d'
    if neck == 'GlobalLocalAttentionNeck':
        assert model.neck.softmax_over == 'space_time'
    if name.startswith('c3d'):
        assert model.context_backbone.type == 'mmaction.C3D'
        assert model.context_backbone.pretrained  # the user's checkpoint
        assert cfg.optim_wrapper.optimizer.lr == 1e-4  # fine-tuning
        masked = False  # C3D sees whole frames
    else:
        for stream in ('face_backbone', 'context_backbone'):
            encoder = model[stream]
            assert encoder.widths == (32, 64, 128, 256, 256)
            assert encoder.pools == ((1, 2, 2), 2, 2, 2, False)
            assert encoder.conv_cfg.type == 'Conv3d'
        assert cfg.optim_wrapper.optimizer.lr == 5e-3  # CAER-Net recipe
        masked = True
    for loader in ('train_dataloader', 'test_dataloader'):
        pipeline = cfg[loader].dataset.pipeline
        assert mask_face_flags(pipeline) == [masked]
        sampler = pipeline[0]
        assert (sampler.type, sampler.clip_len) == ('SampleClipFrames', 16)
    assert cfg.test_dataloader.dataset.pipeline[0].stride == 8


GUIDED_NECKS = {
    'glamor_framewise3d': 'GlobalLocalAttentionNeck',
    'glamor-f-c-ca_framewise3d': 'ContextAttentionNeck',
    'glamor-f-c_framewise3d': 'GlobalAveragePoolingTwoViewNeck',
}


def test_guided_video_configs_differ_in_the_neck_only():
    """The face-guided toy video configs: the same model, data and schedule
    with GLA (space-time softmax), CAER-Net context attention (a softmax
    over space per time step) or pooling, and frame-by-frame encoders."""
    init_default_scope('mmpretrain')
    cfgs = {
        row:
        Config.fromfile(
            osp.join(CONFIG_ROOT, 'video',
                     f'{row}_1xb16-50e_toy-guided-videos.py'))
        for row in GUIDED_NECKS
    }
    for row, cfg in cfgs.items():
        assert cfg.model.neck.type == GUIDED_NECKS[row]
        assert cfg.model.head.fusion == 'net'
        assert cfg.train_dataloader.dataset.data_root == (
            'data/toy_guided_videos')
    gla = cfgs['glamor_framewise3d']
    assert gla.model.neck.softmax_over == 'space_time'
    assert cfgs['glamor-f-c-ca_framewise3d'].model.neck.softmax_over == 'space'
    for cfg in cfgs.values():
        for key in ('train_dataloader', 'test_dataloader', 'optim_wrapper',
                    'train_cfg', 'param_scheduler'):
            assert cfg[key] == gla[key], key
        model, reference = cfg.model.copy(), gla.model.copy()
        model.pop('neck'), reference.pop('neck')
        assert model == reference
    # The encoders see one frame at a time: changing frame 2 of the context
    # clip changes time step 2 of its 4 x 5 x 8 map and nothing else, so
    # only the attention can relate the frames.
    encoder = MODELS.build(gla.model.context_backbone)
    encoder.eval()
    clip = torch.rand(1, 3, 4, 20, 32)
    changed = clip.clone()
    changed[:, :, 2] = torch.rand(1, 3, 20, 32)
    with torch.no_grad():
        before, after = encoder(clip)[-1], encoder(changed)[-1]
    assert before.shape == (1, 64, 4, 5, 8)
    differs = (before - after).abs().flatten(3).amax(dim=(1, 3))[0]
    assert differs[2] > 0
    assert torch.equal(differs[[0, 1, 3]], torch.zeros(3))


def test_guided_video_context_keeps_colour_and_mark(tmp_path):
    """The guided video configs shrink the 80 x 128 frames to 20 x 32 by
    area averaging: every object's 16-pixel grid cell becomes 4 x 4 pixels
    whose middle 2 x 2 show its mark while it flashes (its colour
    otherwise), and the context encoder gives a 4 x 5 x 8 map, one cell per
    object and one time step per frame."""
    generate_toy_caer_videos(
        str(tmp_path), dict(test=1), seed=3, num_frames=(8, 8), mode='guided')
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(
        osp.join(CONFIG_ROOT, 'video',
                 'glamor_framewise3d_1xb16-50e_toy-guided-videos.py'))
    dataset_cfg = cfg.test_dataloader.dataset.copy()
    dataset_cfg.data_root = str(tmp_path)
    dataset = DATASETS.build(dataset_cfg)
    checked = 0
    for index in range(len(dataset)):
        sample = dataset[index]
        info = dataset.get_data_info(index)
        context = sample['inputs']['context'][0].permute(1, 2, 3, 0).numpy()
        assert context.shape == (4, 20, 32, 3)  # T, H, W, BGR
        frames = read_frames_opencv(
            osp.join(tmp_path, 'test', info['video_path']),
            sample['data_samples'].frame_inds[:4])
        for frame, small in zip(frames, context.astype(int)):
            masks, _, shown = guided_video_frame_cues(frame,
                                                      info['face_track'][0])
            assert sum(mask.any() for mask in masks) == NUM_OBJECTS
            for mask, color, flashing in zip(masks, GUIDED_COLORS, shown):
                if not mask.any():  # the colour of no object
                    continue
                ys, xs = np.nonzero(mask)
                row, col = (ys.min() + 8) // 16 * 4, (xs.min() + 8) // 16 * 4
                cell = small[row:row + 4, col:col + 4]
                middle = cell[1:3, 1:3].reshape(-1, 3)
                if not flashing:
                    assert np.abs(middle - color).max() <= 40
                    continue
                assert np.abs(middle - color).max(1).min() > 60
                # the cell's right column: half mark, half square
                edge = (cell[1:3, 2] + np.array(color)) / 2
                assert np.abs(cell[1:3, 3] - edge).max() < 40
                checked += 1
    assert checked >= 7 * 4  # each object flashes in 2 of the 4 frames
    model = MODELS.build(cfg.model)
    feat = model.context_backbone(torch.rand(1, 3, 4, 20, 32))
    feat = feat[-1] if isinstance(feat, (tuple, list)) else feat
    assert feat.shape == (1, 64, 4, 5, 8)
