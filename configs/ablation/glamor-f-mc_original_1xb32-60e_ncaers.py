# Table 4 (iv) w/F + w/mC, no attention: v_c is the plain spatial average of
# the masked-context map, 43.19 % in the paper.
_base_ = ['./glamor-f-mc-gla_original_1xb32-60e_ncaers.py']

model = dict(neck=dict(_delete_=True, type='GlobalAveragePoolingTwoViewNeck'))
