# CAER-Net Table 3 (w/F + w/C + w/cA): context attention, no fusion
# attention (the two vectors are concatenated), 74.94 % on CAER in the
# paper.
_base_ = ['./caernet_original3d_1xb32-12e_caer.py']

model = dict(head=dict(fusion='concat'))
custom_hooks = []
