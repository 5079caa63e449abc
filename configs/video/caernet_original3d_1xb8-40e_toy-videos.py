# The video quickstart: CAER-Net (3D encoders, context attention with a
# per-time-step softmax, adaptive fusion) on the built-in toy videos, on the
# CPU:
#   python tools/dataset_converters/generate_toy_caer_videos.py \
#       data/toy_caer_videos
#   python tools/train.py \
#       configs/video/caernet_original3d_1xb8-40e_toy-videos.py
# Small clips (toy_caer_videos_small.py: 8 frames, 32x32 faces, 40x40
# context) and encoders of a quarter of the paper's widths (8-16-32-64-64)
# keep a CPU epoch to seconds.
_base_ = [
    '../_base_/models/caernet.py',
    '../_base_/datasets/toy_caer_videos_small.py',
    '../_base_/schedules/toy_video_adam.py', '../_base_/default_runtime.py'
]

encoder = dict(widths=(8, 16, 32, 64, 64))
model = dict(
    face_backbone=encoder,
    context_backbone=encoder,
    neck=dict(context_channels=64, hidden_channels=32),
    head=dict(face_channels=64, context_channels=64))

default_hooks = dict(logger=dict(interval=5))
custom_hooks = [dict(type='FusionWeightHook')]
randomness = dict(seed=0)
