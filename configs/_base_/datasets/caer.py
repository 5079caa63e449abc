# CAER (Lee et al., ICCV 2019) videos with face tracks from
# tools/detect_face_tracks.py:
#   data/caer/{train,validation,test}/<Class>/<clip>.avi
#   data/caer/{train,validation,test}_tracks.json
# Pipeline of CAER-Net Sec. 5.1: 16 consecutive frames sampled at 10 fps
# (one random clip per video in training; every 16-frame clip with an
# 8-frame overlap in testing, their predictions averaged by the model); face
# = the tracked box of each frame, 96x96; context = each frame with the face
# zeroed, resized to 128x171 (HxW), one random 112x112 crop for the whole
# clip in training (centre crop in testing). Random flips and colour
# changes are drawn once per clip and applied to all its frames
# (TransformBroadcaster with share_random_params=True).
# The data preprocessor and the metrics are those of CAER-S.
_base_ = ['./caers.py']

dataset_type = 'CAERDataset'
data_root = 'data/caer'

# The image pipeline's steps, applied to every frame of a clip with the same
# random draws. The clips are packed as uint8 BGR N x C x T x H x W and the
# image data preprocessor (BGR->RGB, ImageNet mean/std) applies.
broadcast_to_frames = dict(
    type='TransformBroadcaster',
    mapping=dict(img='imgs', face_bbox='face_bboxes'),
    remapping=dict(img='imgs', face_bbox='face_bboxes', face_img='face_imgs'),
    share_random_params=True)

train_pipeline = [
    dict(type='SampleClipFrames', clip_len=16, target_fps=10, test_mode=False),
    dict(type='LoadVideoFrames', backend='opencv'),
    dict(
        broadcast_to_frames,
        transforms=[
            # a frame without a tracked box gets an all-zero face
            dict(type='CropFace', scale=(96, 96), missing_face='zeros'),
            dict(type='MaskFace'),
            dict(type='Resize', scale=(171, 128)),
            # the steps above are cached with dataset cache_dir=...
            dict(
                type='ApplyToFace',
                transforms=[
                    dict(type='RandomFlip', prob=0.5, direction='horizontal')
                ]),
            dict(type='RandomCrop', crop_size=112),
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
        clip_len=16,
        target_fps=10,
        stride=8,
        test_mode=True),
    dict(type='LoadVideoFrames', backend='opencv'),
    dict(
        broadcast_to_frames,
        transforms=[
            dict(type='CropFace', scale=(96, 96), missing_face='zeros'),
            dict(type='MaskFace'),
            dict(type='Resize', scale=(171, 128)),
            dict(type='CenterCrop', crop_size=112),
        ]),
    dict(type='PackTwoViewClipInputs'),
]

train_dataloader = dict(
    batch_size=32,
    num_workers=4,
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='train_tracks.json',
        split='train',
        pipeline=train_pipeline),
)

# Test videos have different numbers of clips: batch them with
# pseudo_collate (the model flattens and averages the clips of each video).
val_dataloader = dict(
    batch_size=8,
    num_workers=4,
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='validation_tracks.json',
        split='validation',
        pipeline=test_pipeline),
    collate_fn=dict(type='pseudo_collate'),
)

test_dataloader = dict(
    batch_size=8,
    num_workers=4,
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='test_tracks.json',
        split='test',
        pipeline=test_pipeline),
    collate_fn=dict(type='pseudo_collate'),
)
