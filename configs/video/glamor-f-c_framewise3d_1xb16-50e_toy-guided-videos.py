# GLAMOR-Net on clips without attention (the context clip map averaged over
# time and space), on the face-guided toy videos: the context vector holds
# the marks the objects flash but not which object the face names. Best
# possible: 60.7 % (docs/video_attention.md).
#   OMP_NUM_THREADS=1 python tools/train.py \
#       configs/video/glamor-f-c_framewise3d_1xb16-50e_toy-guided-videos.py
_base_ = ['./glamor_framewise3d_1xb16-50e_toy-guided-videos.py']

model = dict(neck=dict(_delete_=True, type='GlobalAveragePoolingTwoViewNeck'))
