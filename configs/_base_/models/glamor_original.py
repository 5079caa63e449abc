# GLAMOR-Net with the paper's 5-conv encoders (paper Sec. 3, Table 7
# "Original").
# Inputs: face 3x96x96 -> 256x6x6, context 3x112x112 -> 256x7x7.
# The BN in the GLA scorer follows the authors' TensorFlow code (the paper
# text has none); drop it with `neck=dict(norm_cfg=None)`.
#
# Ablations are overrides in a leaf config that has this file in _base_
# (paper Tables 4 and 6):
#   no attention:          model = dict(neck=dict(
#                              _delete_=True,
#                              type='GlobalAveragePoolingTwoViewNeck'))
#   CAER-Net-S attention:  see caernet_s.py
#   fusion add/max/concat: model = dict(head=dict(fusion='add'))
#   (i) face only:         model = dict(head=dict(branches=('face', )), neck=
#                              <no attention, above>); the context encoder
#                              is then not built
#   (ii)/(iii) context only: model = dict(head=dict(branches=('context', )));
#                              with GLA the face encoder still guides the
#                              attention but v_f does not enter the fusion;
#                              (iii) = MaskFace disabled in the pipeline.
model = dict(
    type='GlamorClassifier',
    # NHWC backbones: same results up to float rounding, a faster training
    # step on the CPU (tools/analysis_tools/benchmark_train_step.py; README)
    channels_last=True,
    face_backbone=dict(type='GlamorEncoder'),
    context_backbone=dict(type='GlamorEncoder'),
    neck=dict(
        type='GlobalLocalAttentionNeck',
        face_channels=256,
        context_channels=256,
        hidden_channels=128,
        norm_cfg=dict(type='BN1d')),
    head=dict(
        type='FusionHead',
        num_classes=7,
        face_channels=256,
        context_channels=256,
        fusion='net',
        branches=('face', 'context'),
        hidden_channels=128,
        dropout=0.5,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, ),
    ))
