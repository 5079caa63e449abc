# Two-stage training (paper Sec. 4.2), stage 2: the full GLAMOR-Net with the
# face and context encoders initialised from the stage-1 checkpoints, then
# trained jointly with GLA and the fusion network, which keeps the fusion
# weights away from 0/1 (FusionWeightHook logs them every epoch).
#
#   python tools/train.py configs/two_stage/glamor-stage1-face_original_1xb32-60e_ncaers.py
#   python tools/train.py configs/two_stage/glamor-stage1-context_original_1xb32-60e_ncaers.py
#   python tools/train.py configs/two_stage/glamor-stage2_original_1xb32-60e_ncaers.py
#
# Other stage-1 checkpoints: --cfg-options
#   model.face_backbone.init_cfg.checkpoint=PATH
#   model.context_backbone.init_cfg.checkpoint=PATH
_base_ = ['../ablation/glamor-f-mc-gla_original_1xb32-60e_ncaers.py']

face_checkpoint = 'work_dirs/glamor-stage1-face_original_1xb32-60e_ncaers/epoch_60.pth'  # noqa: E501
context_checkpoint = 'work_dirs/glamor-stage1-context_original_1xb32-60e_ncaers/epoch_60.pth'  # noqa: E501

# MMEngine's Pretrained init loads the `<prefix>*` weights of the whole-model
# checkpoint into each encoder (prefix stripped); the rest is initialised as
# usual.
model = dict(
    face_backbone=dict(
        init_cfg=dict(
            type='StrictPretrained',
            checkpoint=face_checkpoint,
            prefix='face_backbone.')),
    context_backbone=dict(
        init_cfg=dict(
            type='StrictPretrained',
            checkpoint=context_checkpoint,
            prefix='context_backbone.')))
