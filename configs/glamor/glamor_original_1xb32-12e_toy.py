# The quickstart: the paper's original GLAMOR-Net (5-conv encoders, GLA,
# fusion network) on the built-in toy data, on the CPU in a few minutes.
#   bash tools/quickstart.sh
_base_ = [
    '../_base_/models/glamor_original.py', '../_base_/datasets/toy_caers.py',
    '../_base_/schedules/toy_sgd_12e.py', '../_base_/default_runtime.py'
]

default_hooks = dict(logger=dict(interval=5))
randomness = dict(seed=0)
