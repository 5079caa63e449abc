_base_ = [
    '../_base_/models/glamor_original.py', '../_base_/datasets/ncaers.py',
    '../_base_/schedules/glamor_sgd_60e.py', '../_base_/default_runtime.py'
]
