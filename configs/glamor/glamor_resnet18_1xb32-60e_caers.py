_base_ = [
    '../_base_/models/glamor_resnet18.py', '../_base_/datasets/caers.py',
    '../_base_/schedules/glamor_sgd_60e.py', '../_base_/default_runtime.py'
]
