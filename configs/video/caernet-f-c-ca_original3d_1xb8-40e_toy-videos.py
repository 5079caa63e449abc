# The video quickstart: CAER-Net's dynamic model (3D encoders, context
# attention with a per-time-step softmax) with the two vectors concatenated
# (Table 3 "w/F + w/C + w/cA"), on the built-in toy videos, on the CPU:
#   python tools/dataset_converters/generate_toy_caer_videos.py \
#       data/toy_caer_videos
#   OMP_NUM_THREADS=1 python tools/train.py \
#       configs/video/caernet-f-c-ca_original3d_1xb8-40e_toy-videos.py
# Small clips (toy_caer_videos_small.py: 8 frames, 32x32 faces, 40x40
# context) and encoders of a quarter of the paper's widths (8-16-32-64-64)
# keep a CPU epoch to seconds (3-5 min for 40 epochs on a busy 2-core
# machine). Measured per video on the test split, seeds 0, 1, 2: 100 %
# each (docs/video_toy_findings.md); frames in any order allow at most
# 57.1 %. The full CAER-Net (adaptive fusion):
# caernet_original3d_1xb8-40e_toy-videos.py.
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
    head=dict(face_channels=64, context_channels=64, fusion='concat'))

default_hooks = dict(logger=dict(interval=5))
randomness = dict(seed=0)
