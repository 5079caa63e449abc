# The built-in toy videos (toy_caer_videos.py) with clips shrunk for a CPU:
# 8-frame clips (4-frame stride at test time), 32x32 faces and a 48x64
# context resize with a 40x40 crop, frame for frame the same transforms as
# CAER. Every crop keeps the middle quarter of the 144x256 frames' width and
# the middle two thirds of their height, where the toy objects move (about
# 2 px a frame at this scale).
_base_ = ['./toy_caer_videos.py']

clip_len = 8
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
            dict(type='CropFace', scale=(32, 32), missing_face='zeros'),
            dict(type='MaskFace'),
            dict(
                type='ApplyToFace',
                transforms=[
                    dict(type='RandomFlip', prob=0.5, direction='horizontal')
                ]),
            dict(type='Resize', scale=(64, 48)),
            dict(type='RandomCrop', crop_size=40),
            dict(type='RandomFlip', prob=0.5, direction='horizontal'),
            dict(
                type='CV2ColorJitter',
                brightness=0.2,
                contrast=0.2,
                saturation=0.2),
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
            dict(type='CropFace', scale=(32, 32), missing_face='zeros'),
            dict(type='MaskFace'),
            dict(type='Resize', scale=(64, 48)),
            dict(type='CenterCrop', crop_size=40),
        ]),
    dict(type='PackTwoViewClipInputs'),
]

train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
