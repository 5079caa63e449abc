# Table 4 (ii) w/mC: masked context only, no attention (the face encoder is
# not built), 41.18 % in the paper. Also stage 1 (context) of the two-stage
# training.
_base_ = ['./glamor-f-mc_original_1xb32-60e_ncaers.py']

model = dict(head=dict(branches=('context', )))
custom_hooks = []  # no fusion weights with one branch
