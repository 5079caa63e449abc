# CAER-S (Lee et al., ICCV 2019) as distributed, with the published face-box
# lists (`relative/path.png,label,x1,y1,x2,y2`):
#   data/caer_s/{train,test}/<Class>/<name>.png, data/caer_s/{train,test}.txt
# CAER-S has no validation list. Selecting the best checkpoint on the test
# split (as the papers' code did) would choose it on test data, so a seeded,
# class-stratified 10 % of train.txt's images is held out for validation
# (`holdout`, part='val'), training uses the other 90 % (part='train'), and
# test.txt is used once, by tools/test.py on the selected checkpoint. CAER-S
# frames come from video clips, so frames of one clip can land on both sides
# of this split: the validation accuracy is optimistic, the test split is
# not affected. With a validation list, set val_dataloader.dataset to it and
# train_dataloader.dataset.holdout=None.
# Pipeline of GLAMOR-Net Sec. 4.2: face crop 96x96; context
# = image with the face zeroed, resized to 128x171 (HxW), random 112x112
# crop for training, centre crop for testing.
dataset_type = 'CAERSDataset'
data_root = 'data/caer_s'

# ImageNet statistics for both views (RGB order after `to_rgb`)
data_preprocessor = dict(
    type='TwoViewDataPreprocessor',
    num_classes=7,
    face_mean=[123.675, 116.28, 103.53],
    face_std=[58.395, 57.12, 57.375],
    context_mean=[123.675, 116.28, 103.53],
    context_std=[58.395, 57.12, 57.375],
    to_rgb=True,
)

train_pipeline = [
    dict(type='WuffsLoadImageFromFile'),
    # missing_face='zeros': an image without a face box gets an all-zero
    # face like the authors' code; 'error' stops with the file name instead.
    dict(type='CropFace', scale=(96, 96), missing_face='zeros'),
    dict(type='MaskFace'),
    # The steps up to here are deterministic: with
    # `train_dataloader.dataset.cache_dir` set, the dataset caches their
    # output once (memory-mapped) and runs only the random steps below.
    dict(type='Resize', scale=(171, 128)),
    dict(
        type='ApplyToFace',
        transforms=[
            dict(type='RandomFlip', prob=0.5, direction='horizontal'),
            # uniform rotation in [-20, 20] degrees
            dict(
                type='Rotate',
                magnitude_level=10,
                magnitude_range=(0, 20),
                magnitude_std='inf',
                total_level=10,
                prob=1.0,
                random_negative_prob=0.5,
                pad_val=0,
                interpolation='bilinear'),
        ]),
    dict(type='RandomCrop', crop_size=112),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    # hue stays 0: mmcv.adjust_hue overflows with numpy 2 for negative hues
    # CV2ColorJitter: MMPretrain's ColorJitter(backend='cv2') (the default
    # 'pillow' would round-trip through PIL), same outputs, faster contrast
    dict(type='CV2ColorJitter', brightness=0.2, contrast=0.2, saturation=0.2),
    dict(type='PackTwoViewInputs'),
]

test_pipeline = [
    dict(type='WuffsLoadImageFromFile'),
    dict(type='CropFace', scale=(96, 96), missing_face='zeros'),
    dict(type='MaskFace'),
    dict(type='Resize', scale=(171, 128)),
    dict(type='CenterCrop', crop_size=112),
    dict(type='PackTwoViewInputs'),
]

train_dataloader = dict(
    batch_size=32,
    num_workers=4,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='train.txt',
        split='train',
        holdout=dict(fraction=0.1, seed=0, part='train'),
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)

val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='train.txt',
        split='train',
        holdout=dict(fraction=0.1, seed=0, part='val'),
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
# top-1 accuracy and per-class accuracy (= per-class recall); the test adds
# the confusion matrix. tools/test.py prints them with class names.
val_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    dict(type='SingleLabelMetric', items=('recall', ), average=None),
]

test_dataloader = dict(
    batch_size=64,
    num_workers=4,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='test.txt',
        split='test',
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_evaluator = val_evaluator + [dict(type='ConfusionMatrix')]
