# Table 4 (iii) w/fC + w/CA: context only with the face left visible and
# CAER-Net-S attention, 41.94 % in the paper.
_base_ = ['./glamor-fc-gla_original_1xb32-60e_ncaers.py']

model = dict(
    neck=dict(
        _delete_=True,
        type='ContextAttentionNeck',
        context_channels=256,
        hidden_channels=128))
