# A static control for the video quickstart: the same two streams, but no
# layer mixes frames (1x3x3 kernels, 1x2x2 pools, no context attention,
# whose 3x3x3 convs would), so each frame is encoded on its own and the
# features are averaged over time before the classifier. On the toy videos
# the frames in any order allow at most 4/7 = 57.1 %: what a clip model
# scores above that, it reads from time.
#   OMP_NUM_THREADS=1 python tools/train.py \
#       configs/video/caernet-f-c_framewise3d_1xb8-40e_toy-videos.py
_base_ = ['./caernet-f-c-ca_original3d_1xb8-40e_toy-videos.py']

encoder = dict(kernel_size=(1, 3, 3), pools=((1, 2, 2), ) * 4 + (False, ))
model = dict(
    face_backbone=encoder,
    context_backbone=encoder,
    neck=dict(_delete_=True, type='GlobalAveragePoolingTwoViewNeck'))
