# The quickstart: the paper's original GLAMOR-Net (5-conv encoders, GLA,
# fusion network) on the built-in toy data, on the CPU.
#   bash tools/quickstart.sh
# Trained end to end in one stage, the fusion weights drift to the face
# branch (w_face ~0.99 after 3 epochs; the paper's Sec. 4.2 observation;
# lr 0.05 collapses even faster), and the test accuracy ends at 66 %:
# above the face-only ceiling of the toy data (4/7 = 57 %), below the 100 %
# possible with both views. The paper's remedy, two-stage training, is in
# configs/two_stage/.
_base_ = [
    '../_base_/models/glamor_original.py', '../_base_/datasets/toy_caers.py',
    '../_base_/schedules/toy_sgd_12e.py', '../_base_/default_runtime.py'
]

default_hooks = dict(logger=dict(interval=5))
randomness = dict(seed=0)
