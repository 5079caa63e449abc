# GLAMOR-Net with MMPretrain MobileNetV2 (width 1.0) encoders for both
# streams (paper Table 7). The last stage (1280 channels) is used: a 96x96
# face gives 1280x3x3, a 112x112 context 1280x4x4. Ablations: see
# glamor_original.py.
_base_ = './glamor_original.py'

model = dict(
    face_backbone=dict(_delete_=True, type='MobileNetV2', widen_factor=1.0),
    context_backbone=dict(_delete_=True, type='MobileNetV2', widen_factor=1.0),
    neck=dict(face_channels=1280, context_channels=1280),
    head=dict(face_channels=1280, context_channels=1280))
