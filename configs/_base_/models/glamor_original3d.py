# GLAMOR-Net on clips (beyond both papers): CAER-Net's 3D encoders
# (caernet.py) with GLAMOR-Net's global-local attention and fusion network.
# The face clip's vector (its 256x2x6x6 map averaged over time and space)
# scores every spatio-temporal location of the context clip map; the scores
# are soft-maxed over all T x H x W locations and v_c is their weighted sum
# (eq. 4-5 with time as one more location axis), so the attention can pick
# the moment as well as the place. `neck=dict(softmax_over='space')`
# normalises each time step instead and averages the steps (every time step
# weighs the same, as CAER-Net's context attention does).
_base_ = './caernet.py'

model = dict(
    neck=dict(
        _delete_=True,
        type='GlobalLocalAttentionNeck',
        face_channels=256,
        context_channels=256,
        hidden_channels=128,
        softmax_over='space_time',
        norm_cfg=dict(type='BN1d')))
