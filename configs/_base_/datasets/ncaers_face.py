# NCAER-S face crops for single-stream MMPretrain classifiers (paper Table 3:
# VGG16 and ResNet-50 fine-tuned on the face): the face box is cropped,
# resized to 224x224 and packed as the only input of an ImageClassifier.
# Images without a face box get an all-zero face, as for GLAMOR-Net.
_base_ = ['./ncaers.py']

data_preprocessor = dict(
    _delete_=True,
    num_classes=7,
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    to_rgb=True,
)

train_pipeline = [
    dict(type='WuffsLoadImageFromFile'),
    dict(type='CropFace', scale=(224, 224), missing_face='zeros'),
    dict(
        type='ApplyToFace',
        transforms=[dict(type='RandomFlip', prob=0.5,
                         direction='horizontal')]),
    dict(type='PackInputs', input_key='face_img'),
]

test_pipeline = [
    dict(type='WuffsLoadImageFromFile'),
    dict(type='CropFace', scale=(224, 224), missing_face='zeros'),
    dict(type='PackInputs', input_key='face_img'),
]

train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
