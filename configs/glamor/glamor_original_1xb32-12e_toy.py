# The quickstart: the paper's original GLAMOR-Net (5-conv encoders, GLA,
# fusion network) on the built-in toy data, on the CPU in a few minutes.
#   bash tools/quickstart.sh
_base_ = [
    '../_base_/models/glamor_original.py', '../_base_/datasets/toy_caers.py',
    '../_base_/schedules/toy_sgd_12e.py', '../_base_/default_runtime.py'
]

# lr 0.05: with lr 0.01 the fusion weights collapse to the face branch
# within 3 epochs (w_face ~0.99, the paper's Sec. 4.2 observation) and the
# accuracy stays at the face-only ceiling of the toy data (4/7).
optim_wrapper = dict(optimizer=dict(lr=0.05))

default_hooks = dict(logger=dict(interval=5))
randomness = dict(seed=0)
