# Table 4 (ii) w/mC + w/CA: masked context only with CAER-Net-S attention,
# 41.27 % in the paper.
_base_ = ['./glamor-f-mc-ca_original_1xb32-60e_ncaers.py']

model = dict(head=dict(branches=('context', )))
custom_hooks = []  # no fusion weights with one branch
