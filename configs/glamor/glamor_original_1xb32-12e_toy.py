# The quickstart: the paper's original GLAMOR-Net (5-conv encoders, GLA,
# fusion network) on the built-in toy data, on the CPU.
#   bash tools/quickstart.sh
# Measured with tools/quickstart.sh: test top-1 98.1 % (chance 14.3 %, face
# or context alone at most 57.1 %). One-stage training is fragile, as the
# paper says (Sec. 4.2): the fusion weights first drift to the face branch
# (w_face ~0.95 in epoch 2) and recover here; a run on an earlier revision
# of the code collapsed (w_face ~0.99, 66 % test), and lr 0.05 collapses
# within 10 iterations. The paper's two-stage training is in
# configs/two_stage/.
_base_ = [
    '../_base_/models/glamor_original.py', '../_base_/datasets/toy_caers.py',
    '../_base_/schedules/toy_sgd_12e.py', '../_base_/default_runtime.py'
]

default_hooks = dict(logger=dict(interval=5))
randomness = dict(seed=0)
