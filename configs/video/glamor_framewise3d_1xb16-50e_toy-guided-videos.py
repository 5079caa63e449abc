# GLAMOR-Net on clips (global-local attention soft-maxed over all T x H x W
# locations of the context clip, fusion network) on the face-guided toy
# videos: the hat on the face names one of three objects; that object and
# the mark it flashes in some frames set the label (docs/video_attention.md).
#   python tools/dataset_converters/generate_toy_caer_videos.py \
#       data/toy_guided_videos --mode guided --num-train-per-class 300
#   OMP_NUM_THREADS=1 python tools/train.py \
#       configs/video/glamor_framewise3d_1xb16-50e_toy-guided-videos.py
# Same model as glamor_original3d_1xb8-40e_toy-videos.py except the
# encoders, which see one frame at a time (1 x 3 x 3 convs, no pool over
# time in the context encoder: a 4 x 5 x 8 map of the 4 x 20 x 32 context
# clip, one time step per frame and one map cell per object), so the only
# layer that mixes frames is the attention, which has to pick the frames
# where the named object flashes as well as the object; and the attention's
# hidden layer of 128 units, as in the paper.
# The same model without attention: glamor-f-c_framewise3d_...; with
# CAER-Net's context attention, which cannot see the face:
# glamor-f-c-ca_framewise3d_...
_base_ = ['./glamor_original3d_1xb8-40e_toy-videos.py']

data_root = 'data/toy_guided_videos'
clip_len = 4

# The whole 80 x 128 frame is the context view, shrunk to 20 x 32 by area
# averaging (no crop, which could cut an object out: each 16-pixel grid cell
# becomes 4 x 4 pixels that keep the square's colour and its mark); 32 x 32
# faces. Flips keep the grid; no colour jitter, the colours are the cue.
# The deterministic steps (up to the resize) are cached in the training set's
# pipeline cache: an epoch then costs the model, not the video decoding.
train_pipeline = [
    dict(
        type='SampleClipFrames',
        clip_len=clip_len,
        target_fps=10,
        test_mode=False),
    dict(type='LoadVideoFrames', backend='opencv'),
    dict(
        _base_.broadcast_to_frames,
        transforms=[
            dict(type='CropFace', scale=(32, 32), missing_face='error'),
            dict(type='MaskFace'),
            dict(type='Resize', scale=(32, 20), interpolation='area'),
            dict(
                type='ApplyToFace',
                transforms=[
                    dict(type='RandomFlip', prob=0.5, direction='horizontal')
                ]),
            dict(type='RandomFlip', prob=0.5, direction='horizontal'),
        ]),
    dict(type='PackTwoViewClipInputs'),
]
test_pipeline = [
    dict(
        type='SampleClipFrames',
        clip_len=clip_len,
        target_fps=10,
        stride=clip_len // 2,
        test_mode=True),
    dict(type='LoadVideoFrames', backend='opencv'),
    dict(
        _base_.broadcast_to_frames,
        transforms=[
            dict(type='CropFace', scale=(32, 32), missing_face='error'),
            dict(type='MaskFace'),
            dict(type='Resize', scale=(32, 20), interpolation='area'),
        ]),
    dict(type='PackTwoViewClipInputs'),
]
# Workers that live through the 50 epochs (not started again each epoch).
train_dataloader = dict(
    batch_size=16,
    persistent_workers=True,
    dataset=dict(
        data_root=data_root,
        pipeline=train_pipeline,
        cache_dir='.pipeline_cache'))
val_dataloader = dict(
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = dict(
    dataset=dict(data_root=data_root, pipeline=test_pipeline))

# 4 x 20 x 32 -> 4 x 5 x 8: 1 x 3 x 3 convs; the first two pools halve
# height and width and keep time, the last three blocks keep the map.
# Channels-last (NTHWC): their forward and backward pass on a batch of 16
# takes 32 ms instead of 41 ms on one CPU thread.
model = dict(
    channels_last=True,
    face_backbone=dict(
        kernel_size=(1, 3, 3), pools=((1, 2, 2), 2, 2, (1, 2, 2), False)),
    context_backbone=dict(
        kernel_size=(1, 3, 3), pools=((1, 2, 2), ) * 2 + (False, ) * 3),
    neck=dict(hidden_channels=128))

# 50 epochs of 2100 videos, batch 16 (6600 steps): GLA's attention finds the
# named object and its flash frames after ~3000 of them
# (docs/video_attention.md).
param_scheduler = dict(T_max=50)
train_cfg = dict(max_epochs=50, val_interval=50)
auto_scale_lr = dict(base_batch_size=16)
