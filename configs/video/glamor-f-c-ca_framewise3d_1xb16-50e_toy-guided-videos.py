# GLAMOR-Net on clips with CAER-Net's context attention instead of the
# global-local attention, on the face-guided toy videos: the attention sees
# the context clip only (two 3x3x3 convs, a softmax over space for each time
# step), not the face that names the object to read. Best possible: 60.7 %
# (docs/video_attention.md).
#   OMP_NUM_THREADS=1 python tools/train.py \
#       configs/video/glamor-f-c-ca_framewise3d_1xb16-50e_toy-guided-videos.py
_base_ = ['./glamor_framewise3d_1xb16-50e_toy-guided-videos.py']

model = dict(
    neck=dict(
        _delete_=True,
        type='ContextAttentionNeck',
        context_channels=64,
        hidden_channels=32,
        softmax_over='space',
        conv_cfg=dict(type='Conv3d'),
        norm_cfg=dict(type='BN3d')))
