# CAER-Net Table 3 (w/F + w/C + w/fA): adaptive fusion, no context
# attention (average pool of the context map), 75.57 % on CAER in the paper.
_base_ = ['./caernet_original3d_1xb32-12e_caer.py']

model = dict(neck=dict(_delete_=True, type='GlobalAveragePoolingTwoViewNeck'))
