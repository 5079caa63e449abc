# CAER-Net Table 3, last row (w/F + w/C + w/cA + w/fA): the full dynamic
# model, 77.04 % on CAER in the paper. CAER-Net's recipe (Sec. 5.1): SGD, lr
# 5e-3 divided by 10 every 4 epochs, batch 32, trained from scratch; one
# random 16-frame clip per training video, every 16-frame clip (8-frame
# overlap) of a test video with their scores averaged.
#   python tools/test.py CONFIG CKPT [--clip-level]   # video (+ clip) accuracy
_base_ = [
    '../_base_/models/caernet.py', '../_base_/datasets/caer.py',
    '../_base_/schedules/caernet_sgd.py', '../_base_/default_runtime.py'
]

custom_hooks = [dict(type='FusionWeightHook')]
