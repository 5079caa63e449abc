# Table 4 (iii) w/fC + w/GLA: context only with the face left visible (no
# MaskFace), GLA attention guided by the face encoder, 42.66 % in the paper.
_base_ = ['./glamor-mc-gla_original_1xb32-60e_ncaers.py']


# every pipeline of the dataset base, with MaskFace switched off
def _visible_face(pipeline):
    return [
        dict(t, enabled=False) if t['type'] == 'MaskFace' else t
        for t in pipeline
    ]


train_dataloader = dict(
    dataset=dict(
        pipeline=_visible_face(_base_.train_dataloader.dataset.pipeline)))
val_dataloader = dict(
    dataset=dict(
        pipeline=_visible_face(_base_.val_dataloader.dataset.pipeline)))
test_dataloader = dict(
    dataset=dict(
        pipeline=_visible_face(_base_.test_dataloader.dataset.pipeline)))
