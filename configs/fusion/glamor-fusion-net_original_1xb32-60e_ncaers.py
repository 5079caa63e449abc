# Table 6 "GLAMOR-Net + Fusion Net": the paper's fusion network (softmax
# weights w_f, w_c, weighted concat), 46.91 % on NCAER-S in the paper. This
# is the full model of Table 4 (iv); fusion='net' is spelt out for the table.
_base_ = ['../ablation/glamor-f-mc-gla_original_1xb32-60e_ncaers.py']

model = dict(head=dict(fusion='net'))
