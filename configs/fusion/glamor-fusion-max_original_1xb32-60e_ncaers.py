# Table 6 "GLAMOR-Net + Fusion Max": element-wise maximum of v_f and v_c,
# 46.26 % on NCAER-S in the paper.
_base_ = ['../ablation/glamor-f-mc-gla_original_1xb32-60e_ncaers.py']

model = dict(head=dict(fusion='max'))
custom_hooks = []  # no fusion weights without the fusion network
