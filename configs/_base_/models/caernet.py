# CAER-Net, the dynamic model of the CAER-Net paper (Lee et al., ICCV 2019,
# Sec. 3.2): two 3D encoders, context attention, adaptive fusion.
# - Encoders (face and context, separately parameterised): 5 x (3x3x3 conv +
#   BN + ReLU), 32-64-128-256-256 filters, max-pools after the first four
#   blocks, the first 1x2x2 (keeps time), the others 2x2x2. A 16x96x96 face
#   clip gives 256x2x6x6, a 16x112x112 context clip 256x2x7x7.
# - Context attention: two 3x3x3 convs (128, then 1 channel), each + BN +
#   ReLU, a spatial softmax for each time step (eq. 3), attention x features
#   (eq. 4), then the average pool over time and space.
# - Adaptive fusion (fusion='net'): per-stream 1x1 convs = FC(128) -> FC(1)
#   give the weights lambda_F, lambda_C (softmax), the weighted vectors are
#   concatenated, FC(128) + ReLU + dropout 0.5, FC(7).
# Clips: the model takes N x K x 3 x T x H x W views and averages the softmax
# scores of each video's K clips (Sec. 5.1; average_clips='score' averages
# the logits instead, as in MMAction2).
#
# Table 3 rows are overrides (see configs/video/):
#   without context attention: neck=dict(_delete_=True,
#                                  type='GlobalAveragePoolingTwoViewNeck')
#   without fusion attention:  head=dict(fusion='concat')
#   face only / context only:  head=dict(branches=('face', )) / ('context', )
encoder_3d = dict(
    type='GlamorEncoder',
    widths=(32, 64, 128, 256, 256),
    pools=((1, 2, 2), 2, 2, 2, False),
    kernel_size=3,
    conv_cfg=dict(type='Conv3d'),
    norm_cfg=dict(type='BN3d'))

model = dict(
    type='GlamorClassifier',
    average_clips='prob',
    face_backbone=encoder_3d,
    context_backbone=encoder_3d,
    neck=dict(
        type='ContextAttentionNeck',
        context_channels=256,
        hidden_channels=128,
        softmax_over='space',
        conv_cfg=dict(type='Conv3d'),
        norm_cfg=dict(type='BN3d')),
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
