# Table 4 (i) w/F: face only (the context encoder is not built), 42.58 % in
# the paper. Also stage 1 (face) of the two-stage training.
_base_ = ['./glamor-f-mc_original_1xb32-60e_ncaers.py']

model = dict(head=dict(branches=('face', )))
custom_hooks = []  # no fusion weights with one branch
