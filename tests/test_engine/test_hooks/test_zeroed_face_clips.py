"""ZeroedFaceHook counts the all-zero face frames of clips (tools/test.py
on a video config runs the same Runner.test)."""
import json
import os.path as osp

from mmengine.config import Config
from mmengine.runner import Runner

from glamor_mm.datasets.toy.caer_videos import generate_toy_caer_videos

VIDEO_CONFIG = osp.abspath(
    osp.join(
        osp.dirname(__file__), '..', '..', '..', 'configs', 'video',
        'caernet-f-c-ca_original3d_1xb8-40e_toy-videos.py'))
TINY_ENCODER = dict(widths=(4, 8, 8, 16, 16))


def test_zeroed_face_frames_of_clips_are_counted(tmp_path):
    root = str(tmp_path / 'videos')
    generate_toy_caer_videos(
        root, dict(train=1, validation=1, test=1), num_frames=(8, 12))
    tracks = osp.join(root, 'test_tracks.json')
    with open(tracks) as f:
        ann = json.load(f)
    # one of the 7 test videos has swapped corners in every frame: loads
    # with a warning, and each of its sampled frames gets an all-zero face
    entry = ann['data_list'][3]
    entry['face_track'] = [[x2, y1, x1, y2]
                           for x1, y1, x2, y2 in entry['face_track']]
    with open(tracks, 'w') as f:
        json.dump(ann, f)
    cfg = Config.fromfile(VIDEO_CONFIG)
    cfg.merge_from_dict({
        'model.face_backbone': TINY_ENCODER,
        'model.context_backbone': TINY_ENCODER,
        'model.neck.context_channels': 16,
        'model.neck.hidden_channels': 8,
        'model.head.face_channels': 16,
        'model.head.context_channels': 16,
        'model.head.hidden_channels': 8,
        'model.head.fusion_hidden_channels': 8,
        'test_dataloader.dataset.data_root': root,
        'test_dataloader.num_workers': 0,
        'test_dataloader.persistent_workers': False,
        'work_dir': str(tmp_path / 'work'),
        'log_level': 'WARNING',
    })
    runner = Runner.from_cfg(cfg)
    runner.test()
    zeroed = runner.message_hub.get_info('test/zeroed_faces')
    # 8-frame clips: all frames of the clips of that one video
    assert zeroed is not None and zeroed > 0 and zeroed % 8 == 0
    log = open(runner.logger.log_file).read()
    assert f'Epoch(test): {zeroed} of ' in log
    assert 'face views were all-zero' in log
    assert 'face-track boxes, in 1 video(s), are invalid' in log
