# Table 3 "VGG16" (42.85 % on NCAER-S): MMPretrain's VGG-16 classifier on the
# face crops, fine-tuned from a checkpoint you supply (the paper starts from
# VGG-Face weights). The checkpoint must use MMPretrain's key names:
#   - a whole ImageClassifier checkpoint (keys `backbone.features...`):
#     --cfg-options model.backbone.init_cfg.checkpoint=PATH
#   - a backbone-only checkpoint (keys `features...`): also
#     model.backbone.init_cfg.prefix=None
# The last classifier layer (1000 or 2622 outputs) is skipped by its shape:
# `partial=True`, since the StrictPretrained init otherwise refuses a
# checkpoint with tensors of the wrong shape.
_base_ = [
    'mmpretrain::_base_/models/vgg16.py', '../_base_/datasets/ncaers_face.py',
    '../_base_/schedules/glamor_sgd_60e.py', '../_base_/default_runtime.py'
]

model = dict(
    backbone=dict(
        num_classes=7,
        init_cfg=dict(
            type='StrictPretrained',
            checkpoint='checkpoints/vgg16_vggface.pth',
            prefix='backbone.',
            partial=True)),
    head=dict(topk=(1, )))
