# CAER-Net Table 3 (w/F): the face stream alone, 74.13 % on CAER in the
# paper. The context encoder is not built; the face vector (the 3D face map
# averaged over time and space) is classified directly.
_base_ = ['./caernet_original3d_1xb32-12e_caer.py']

model = dict(
    neck=dict(_delete_=True, type='GlobalAveragePoolingTwoViewNeck'),
    head=dict(branches=('face', )))
custom_hooks = []
