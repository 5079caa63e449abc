# The full CAER-Net (Table 3, last row: both streams, context attention and
# the adaptive fusion, whose two weights start equal) on the built-in toy
# videos, on the CPU: the video quickstart with fusion='net'.
#   OMP_NUM_THREADS=1 python tools/train.py \
#       configs/video/caernet_original3d_1xb8-40e_toy-videos.py
# Measured per video on the toy test split: docs/results.md (Table 3).
_base_ = ['./caernet-f-c-ca_original3d_1xb8-40e_toy-videos.py']

model = dict(head=dict(fusion='net'))
custom_hooks = [dict(type='FusionWeightHook')]
