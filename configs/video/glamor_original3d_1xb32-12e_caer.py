# GLAMOR-Net on CAER clips (beyond both papers): CAER-Net's 3D encoders with
# the global-local attention (the face clip's vector scores every
# spatio-temporal context location, softmax over all of them) and the
# fusion network; CAER-Net's recipe so that it compares with Table 3.
_base_ = [
    '../_base_/models/glamor_original3d.py', '../_base_/datasets/caer.py',
    '../_base_/schedules/caernet_sgd.py', '../_base_/default_runtime.py'
]

custom_hooks = [dict(type='FusionWeightHook')]
