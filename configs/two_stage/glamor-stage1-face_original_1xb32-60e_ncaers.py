# Two-stage training (paper Sec. 4.2), stage 1a: train the face encoder alone
# (face-only model, Table 4 (i)). Its checkpoint initialises the face encoder
# of stage 2.
_base_ = ['../ablation/glamor-f_original_1xb32-60e_ncaers.py']
