# Table 3 "ResNet50" (41.41 % on NCAER-S): MMPretrain's ResNet-50 classifier
# on the face crops, fine-tuned from a checkpoint you supply (the paper
# starts from ImageNet weights). The checkpoint must use MMPretrain's key
# names:
#   - a whole ImageClassifier checkpoint (keys `backbone.layer1...`, e.g.
#     MMPretrain's resnet50_8xb32_in1k):
#     --cfg-options model.backbone.init_cfg.checkpoint=PATH
#   - a backbone-only checkpoint (keys `layer1...`): also
#     model.backbone.init_cfg.prefix=None
_base_ = [
    'mmpretrain::_base_/models/resnet50.py',
    '../_base_/datasets/ncaers_face.py',
    '../_base_/schedules/glamor_sgd_60e.py', '../_base_/default_runtime.py'
]

model = dict(
    backbone=dict(
        # ResNet zeroes the last BN of each block after its init unless the
        # init_cfg type is MMEngine's 'Pretrained': off, to keep the loaded
        # weights
        zero_init_residual=False,
        init_cfg=dict(
            type='StrictPretrained',
            checkpoint='checkpoints/resnet50_imagenet.pth',
            prefix='backbone.')),
    head=dict(num_classes=7, topk=(1, )))
