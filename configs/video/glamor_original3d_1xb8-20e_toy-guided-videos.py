# GLAMOR-Net on clips (global-local attention soft-maxed over all T x H x W
# locations of the context clip, fusion network) on the face-guided toy
# videos: the hat on the face names one of three objects; that object and
# the mark it flashes set the label (docs/video_attention.md).
#   python tools/dataset_converters/generate_toy_caer_videos.py \
#       data/toy_guided_videos --mode guided --num-train-per-class 100
#   OMP_NUM_THREADS=1 python tools/train.py \
#       configs/video/glamor_original3d_1xb8-20e_toy-guided-videos.py
# Same model as glamor_original3d_1xb8-40e_toy-videos.py except the context
# encoder's pools, which keep a 4 x 5 x 8 map (T x H x W) of the 8 x 40 x 64
# context clip: one map cell per object, half a mark flash per time step.
# The same model without attention: glamor-f-c_original3d_...; with
# CAER-Net's context attention, which cannot see the face:
# glamor-f-c-ca_original3d_...
_base_ = ['./glamor_original3d_1xb8-40e_toy-videos.py']

data_root = 'data/toy_guided_videos'
clip_len = 4

# The whole 80 x 128 frame is the context view, resized to 40 x 64 (no
# crop, which could cut an object out); 32 x 32 faces. Flips keep the
# 16-pixel grid of the objects; no colour jitter, the colours are the cue.
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
            dict(
                type='ApplyToFace',
                transforms=[
                    dict(type='RandomFlip', prob=0.5, direction='horizontal')
                ]),
            dict(type='Resize', scale=(64, 40)),
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
            dict(type='Resize', scale=(64, 40)),
        ]),
    dict(type='PackTwoViewClipInputs'),
]
train_dataloader = dict(
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = dict(
    dataset=dict(data_root=data_root, pipeline=test_pipeline))

# 8 x 40 x 64 -> 4 x 5 x 8: the first two pools keep time, the third halves
# every axis, the last two blocks keep the map.
model = dict(
    face_backbone=dict(pools=((1, 2, 2), 2, 2, (1, 2, 2), False)),
    context_backbone=dict(pools=((1, 2, 2), ) * 3 + (False, False)))

param_scheduler = dict(T_max=20)
train_cfg = dict(max_epochs=20, val_interval=20)
