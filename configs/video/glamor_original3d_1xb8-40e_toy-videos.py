# GLAMOR-Net on clips (glamor_original3d.py: the face clip's vector scores
# every spatio-temporal location of the context clip, softmax over all of
# them, fusion network) on the built-in toy videos, on the CPU, with the
# video quickstart's small clips, widths and schedule:
#   OMP_NUM_THREADS=1 python tools/train.py \
#       configs/video/glamor_original3d_1xb8-40e_toy-videos.py
# Measured per video on the toy test split: docs/results.md (Table 3).
_base_ = [
    '../_base_/models/glamor_original3d.py',
    '../_base_/datasets/toy_caer_videos_small.py',
    '../_base_/schedules/toy_video_adam.py', '../_base_/default_runtime.py'
]

encoder = dict(widths=(8, 16, 32, 64, 64))
model = dict(
    face_backbone=encoder,
    context_backbone=encoder,
    neck=dict(face_channels=64, context_channels=64, hidden_channels=32),
    head=dict(face_channels=64, context_channels=64))

custom_hooks = [dict(type='FusionWeightHook')]
default_hooks = dict(logger=dict(interval=5))
randomness = dict(seed=0)
