# CAER-Net Table 3 (w/F + w/C): both streams, no context attention (average
# pool), no fusion attention (the two vectors are concatenated), 74.36 % on
# CAER in the paper.
_base_ = ['./caernet_original3d_1xb32-12e_caer.py']

model = dict(
    neck=dict(_delete_=True, type='GlobalAveragePoolingTwoViewNeck'),
    head=dict(fusion='concat'))
custom_hooks = []
