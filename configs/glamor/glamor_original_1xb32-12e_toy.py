# The quickstart: the paper's original GLAMOR-Net (5-conv encoders, GLA,
# fusion network) on the built-in toy data, on the CPU.
#   bash tools/quickstart.sh
# Measured with tools/quickstart.sh: see the README (chance 14.3 %, face or
# context alone at most 57.1 %). One-stage training is fragile, as the paper
# says (Sec. 4.2); here the fusion weights start at 0.5 (the FusionHead
# default), without which this seed drifted to the face (docs/attention.md).
# lr 0.05 collapses within 10 iterations. The paper's two-stage training is
# in configs/two_stage/.
_base_ = [
    '../_base_/models/glamor_original.py', '../_base_/datasets/toy_caers.py',
    '../_base_/schedules/toy_sgd_12e.py', '../_base_/default_runtime.py'
]

default_hooks = dict(logger=dict(interval=5))
randomness = dict(seed=0)
