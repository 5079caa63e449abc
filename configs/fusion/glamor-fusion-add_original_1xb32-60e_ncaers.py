# Table 6 "GLAMOR-Net + Fusion Add": v = v_f + v_c (element-wise) before the
# classifier, 45.62 % on NCAER-S in the paper.
_base_ = ['../ablation/glamor-f-mc-gla_original_1xb32-60e_ncaers.py']

model = dict(head=dict(fusion='add'))
custom_hooks = []  # no fusion weights without the fusion network
