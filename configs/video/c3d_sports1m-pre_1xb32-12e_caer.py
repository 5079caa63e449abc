# CAER-Net Table 5 "Fine-tuned C3D" (71.02 % on CAER; the Sports-1M C3D
# features without fine-tuning: 66.38 %): MMAction2's C3D on the whole
# 16x112x112 frames (the face is NOT hidden) + a two-layer classifier
# (FC(128) + ReLU + dropout, FC(7)), all layers fine-tuned with lr 1e-4 as
# the paper does for its fine-tuned baselines. C3D ends in its fc6/fc7
# layers, so the stream gives 4096-d vectors; the face stream is not built.
# Supply the Sports-1M weights (MMAction2's c3d_sports1m_pretrain_20201016-
# dcc47ddc.pth; C3D key names `conv1a.conv.weight`, ..., `fc7.weight`):
#   --cfg-options model.context_backbone.pretrained=PATH
# MMAction2's C3D was trained on BGR frames minus the mean (104, 117, 128),
# so the preprocessor keeps BGR and uses that mean with unit std.
_base_ = [
    '../_base_/datasets/caer.py', '../_base_/schedules/caernet_sgd.py',
    '../_base_/default_runtime.py'
]

model = dict(
    type='GlamorClassifier',
    face_backbone=None,
    context_backbone=dict(
        type='mmaction.C3D',
        pretrained='checkpoints/c3d_sports1m_pretrain.pth',
        dropout_ratio=0.5),
    neck=dict(type='GlobalAveragePoolingTwoViewNeck'),
    head=dict(
        type='FusionHead',
        num_classes=7,
        context_channels=4096,
        branches=('context', ),
        hidden_channels=128,
        dropout=0.5,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, )))

data_preprocessor = dict(
    to_rgb=False, context_mean=[104, 117, 128], context_std=[1, 1, 1])

optim_wrapper = dict(optimizer=dict(lr=1e-4))


def _face_visible(pipeline):
    """The CAER pipeline with MaskFace disabled: C3D sees whole frames."""
    for step in pipeline:
        for transform in step.get('transforms', []):
            if transform['type'] == 'MaskFace':
                transform['enabled'] = False
    return pipeline


train_pipeline = _face_visible(_base_.train_pipeline)
test_pipeline = _face_visible(_base_.test_pipeline)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
