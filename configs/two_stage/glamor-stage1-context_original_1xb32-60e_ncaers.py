# Two-stage training (paper Sec. 4.2), stage 1b: train the context encoder
# alone on masked contexts (context-only model without attention, Table 4
# (ii)). Its checkpoint initialises the context encoder of stage 2.
_base_ = ['../ablation/glamor-mc_original_1xb32-60e_ncaers.py']
