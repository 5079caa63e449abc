# Table 4 (iv) w/F + w/mC + w/CA: CAER-Net-S context attention instead of
# GLA, 44.14 % in the paper; also Table 3 "CAER-Net-S" (trained from scratch
# with the GLAMOR-Net recipe, as in the paper).
_base_ = [
    '../_base_/models/caernet_s.py', '../_base_/datasets/ncaers.py',
    '../_base_/schedules/glamor_sgd_60e.py', '../_base_/default_runtime.py'
]

custom_hooks = [dict(type='FusionWeightHook')]
