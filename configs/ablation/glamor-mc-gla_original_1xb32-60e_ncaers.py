# Table 4 (ii) w/mC + w/GLA: masked context only; the face encoder still
# guides the GLA attention but v_f does not enter the fusion, 42.24 % in the
# paper.
_base_ = ['./glamor-f-mc-gla_original_1xb32-60e_ncaers.py']

model = dict(head=dict(branches=('context', )))
custom_hooks = []  # no fusion weights with one branch
