# GLAMOR-Net with MMPretrain ResNet-18 encoders for both streams (paper
# Table 7). The last stage (512 channels) is used: a 96x96 face gives
# 512x3x3, a 112x112 context 512x4x4. Ablations: see glamor_original.py.
_base_ = './glamor_original.py'

model = dict(
    face_backbone=dict(_delete_=True, type='ResNet', depth=18),
    context_backbone=dict(_delete_=True, type='ResNet', depth=18),
    neck=dict(face_channels=512, context_channels=512),
    head=dict(face_channels=512, context_channels=512))
