# Table 2 "CAER-Net-S" (73.52 % on CAER-S, from the CAER-Net paper): the
# CAER-Net-S baseline with its own recipe. On NCAER-S (Table 3, 44.14 %) the
# paper trains it like GLAMOR-Net: configs/ablation/
# glamor-f-mc-ca_original_1xb32-60e_ncaers.py.
_base_ = [
    '../_base_/models/caernet_s.py', '../_base_/datasets/caers.py',
    '../_base_/schedules/caernet_sgd.py', '../_base_/default_runtime.py'
]
