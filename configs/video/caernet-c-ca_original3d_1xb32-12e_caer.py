# CAER-Net Table 3 (w/C + w/cA): the context stream alone with its context
# attention, 71.94 % on CAER in the paper. The face encoder is not built
# (the context attention does not use the face).
_base_ = ['./caernet_original3d_1xb32-12e_caer.py']

model = dict(head=dict(branches=('context', )))
custom_hooks = []
