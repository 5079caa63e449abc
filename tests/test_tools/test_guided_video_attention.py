"""attention_on_named_object.py and vis_clip_attention.py on dumps of the
guided toy videos whose attention is set by hand."""
import importlib.util
import json
import os.path as osp

import cv2
import mmengine
import numpy as np
import pytest
import torch
from mmpretrain.structures import DataSample

from glamor_mm.datasets.toy.caer_videos import generate_toy_caer_videos
from glamor_mm.datasets.toy.guided_videos import (MARK_FRAMES, MARK_PERIOD,
                                                  guided_video_frame_cues)
from glamor_mm.datasets.transforms.load_video_frames import \
    read_frames_opencv

TOOLS = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'tools')
CLIP_LEN = MARK_PERIOD


def load_tool(folder, name):
    spec = importlib.util.spec_from_file_location(
        f'tool_{name}', osp.join(TOOLS, folder, f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def guided_videos(tmp_path_factory):
    """7 guided test videos of 8 frames: their records and, per video, the
    map cell (5 x 8 map of the 80 x 128 frames) of the named object and
    whether it flashes in each frame."""
    root = tmp_path_factory.mktemp('guided_videos')
    generate_toy_caer_videos(
        str(root), dict(test=1), seed=1, num_frames=(8, 8), mode='guided')
    items = mmengine.load(str(root / 'test_tracks.json'))['data_list']
    videos = []
    for item in items:
        path = str(root / item['video_path'])
        frames = read_frames_opencv(path, range(8))
        box = item['face_track'][0]
        cues = [guided_video_frame_cues(frame, box) for frame in frames]
        masks, target, _ = cues[0]
        cells = masks[target].reshape(5, 16, 8, 16).sum(axis=(1, 3))
        assert (cells > 0).sum() == 1  # each object is in one grid cell
        cell = np.unravel_index(cells.argmax(), cells.shape)
        flashes = [shown[target] for _, _, shown in cues]
        assert sum(flashes) == 2 * MARK_FRAMES
        videos.append((item, path, cell, flashes))
    return videos


def _dump(tmp_path, videos, focus):
    """A dump of two 4-frame clips a video (frames 0-3 and 4-7) with
    space-time attention on the named object in the frames where it
    flashes (``focus='flash'``), on it in the other frames ('still') or
    uniform."""
    results = []
    for item, path, cell, flashes in videos:
        attention = np.full((2, CLIP_LEN, 5, 8), 1 / (CLIP_LEN * 40))
        if focus != 'uniform':
            attention[:] = 0
            for frame, flash in enumerate(flashes):
                if flash == (focus == 'flash'):
                    attention[(frame // CLIP_LEN, frame % CLIP_LEN) + cell] = 1
            attention /= attention.sum(axis=(1, 2, 3), keepdims=True)
        sample = DataSample(
            metainfo=dict(
                video_path=path,
                clip_len=CLIP_LEN,
                num_clips=2,
                frame_inds=np.arange(8),
                face_bboxes=[
                    np.array(b, np.float32) for b in item['face_track']
                ]))
        sample.set_field(torch.tensor(attention), 'attention')
        sample.set_gt_label(item['gt_label']).set_pred_label(0)
        results.append(sample.to_dict())
    mmengine.dump(results, tmp_path / f'{focus}.pkl')
    return str(tmp_path / f'{focus}.pkl'), results


def test_clip_attention_on_named_object(guided_videos, tmp_path, capsys):
    tool = load_tool('analysis_tools', 'attention_on_named_object')
    path, _ = _dump(tmp_path, guided_videos, 'flash')
    tool.main([path, '--out', str(tmp_path / 'flash.json')])
    summary = json.load(open(tmp_path / 'flash.json'))
    assert summary['clips'] == 14 and summary['hit_rate'] == 1.0
    assert summary['mass_on_named'] == pytest.approx(1.0)
    assert summary['mass_on_named_flashing'] == pytest.approx(1.0)
    assert summary['flash_share_of_named'] == pytest.approx(1.0)
    share = MARK_FRAMES / MARK_PERIOD  # of the frames of every clip
    assert summary['flash_share_of_steps'] == pytest.approx(share)
    assert '14 clips' in capsys.readouterr().out
    _, still = _dump(tmp_path, guided_videos, 'still')
    summary = tool.clip_attention_on_named_object(still, 'still.pkl')
    assert summary['mass_on_named'] == pytest.approx(1.0)
    assert summary['mass_on_named_flashing'] == pytest.approx(0.0)
    _, uniform = _dump(tmp_path, guided_videos, 'uniform')
    summary = tool.clip_attention_on_named_object(uniform, 'uniform.pkl')
    # one of the 40 cells of every frame
    assert summary['mass_on_named'] == pytest.approx(1 / 40)
    assert summary['uniform_mass_on_named'] == pytest.approx(1 / 40)
    assert summary['mass_on_named_flashing'] == pytest.approx(share / 40)
    assert summary['flash_share_of_named'] == pytest.approx(share)
    with pytest.raises(ValueError, match='T\' dividing the clip length'):
        tool.clip_attention_on_named_object(
            [{
                **uniform[0], 'attention': torch.ones(2, 3, 5, 8) / 120
            }], 'x.pkl')
    with pytest.raises(ValueError, match='video 0 .* has no attention'):
        tool.clip_attention_on_named_object([{
            **uniform[0], 'attention': None
        }], 'x.pkl')


def test_vis_clip_attention(guided_videos, tmp_path):
    tool = load_tool('visualization', 'vis_clip_attention')
    path, _ = _dump(tmp_path, guided_videos, 'flash')
    out = str(tmp_path / 'fig.png')
    tool.main([path, '--num', '2', '--clip', '1', '--out', out])
    fig = cv2.imread(out)
    assert fig.shape == (2 * 80 * 2, (CLIP_LEN * 2 + 1) * 128, 3)
    with pytest.raises(ValueError, match='no clip 2'):
        tool.main([path, '--clip', '2', '--out', out])
