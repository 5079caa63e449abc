# Any table config on the built-in face-guided toy data (docs/attention.md):
# four coloured objects per scene; the face's hat names the object whose
# mark, with the face cue, sets the emotion. The table config (model) is
# given by ROW_CONFIG, as for on_toy_caers.py:
#
#   python tools/dataset_converters/generate_toy_caers.py data/toy_guided \
#       --mode guided --num-train-per-class 500 --num-val-per-class 10 \
#       --num-test-per-class 60
#   ROW_CONFIG=../ablation/glamor-f-mc-gla_original_1xb32-60e_ncaers.py \
#       python tools/train.py configs/toy/on_toy_guided.py \
#       --work-dir work_dirs/guided/glamor-f-mc-gla
_base_ = ['./on_toy_caers.py']

data_root = 'data/toy_guided'

# The 80x112 scenes are the context view as they are (a 5x7 map): no resize
# and no crop, which could cut the named object out. The face is cropped to
# 32x32. Flips keep every shape; no colour jitter, the colours are the cue.
train_pipeline = [
    dict(type='WuffsLoadImageFromFile'),
    dict(type='CropFace', scale=(32, 32), missing_face='error'),
    dict(type='MaskFace'),
    dict(
        type='ApplyToFace',
        transforms=[dict(type='RandomFlip', prob=0.5,
                         direction='horizontal')]),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackTwoViewInputs'),
]
test_pipeline = [
    dict(type='WuffsLoadImageFromFile'),
    dict(type='CropFace', scale=(32, 32), missing_face='error'),
    dict(type='MaskFace'),
    dict(type='PackTwoViewInputs'),
]
train_dataloader = dict(
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = dict(
    dataset=dict(data_root=data_root, pipeline=test_pipeline))

# Narrow encoders with the same 256-channel output (so every table config's
# neck and head fit): ~14x fewer FLOPs than the original ones on these
# inputs, which is what makes a run take about a minute on a CPU.
_encoder = dict(type='GlamorEncoder', widths=(8, 16, 32, 64, 256))
model = dict(
    face_backbone=dict(_delete_=True, **_encoder),
    context_backbone=dict(_delete_=True, **_encoder))

# 45 epochs of 3500 images (~4900 iterations) with Adam (lr 1e-3, cosine
# decay): the attention needs thousands of steps to find the named object;
# at lr 3e-3 it started later (docs/attention.md).
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='Adam', lr=1e-3, weight_decay=1e-4))
param_scheduler = dict(T_max=45)
train_cfg = dict(max_epochs=45, val_interval=45)
