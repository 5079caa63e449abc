# CAER-Net-S baseline (CAER-Net paper Sec. 3.2, static model) as compared in
# GLAMOR-Net Tables 2-4: the same two 5-conv encoders, attention inferred
# from the context map alone (two 3x3 convs 128 -> 1, each + BN + ReLU,
# spatial softmax, attention-weighted spatial average), and the adaptive
# fusion network (per-branch FC(128)->FC(1) weights, softmax, concat,
# FC(128) + ReLU + dropout, FC(K)), which is the same as fusion='net'.
_base_ = './glamor_original.py'

model = dict(
    neck=dict(
        _delete_=True,
        type='ContextAttentionNeck',
        context_channels=256,
        hidden_channels=128))
