# Any table config (Tables 3, 4 and 6, two-stage) on the built-in toy data,
# with a short CPU schedule: the table config's model and pipelines, the toy
# images (CAER-S layout from generate_toy_caers.py) and this schedule.
# The table config is given by the ROW_CONFIG environment variable, relative
# to this folder or absolute:
#
#   python tools/dataset_converters/generate_toy_caers.py data/toy_caers
#   ROW_CONFIG=../ablation/glamor-f-mc-ca_original_1xb32-60e_ncaers.py \
#       python tools/train.py configs/toy/on_toy_caers.py \
#       --work-dir work_dirs/toy/glamor-f-mc-ca
_base_ = ['{{$ROW_CONFIG:../ablation/glamor-f-mc-gla_original_1xb32-60e_ncaers.py}}']  # noqa: E501

data_root = 'data/toy_caers'


def _toy_split(split, pipeline):
    """The table config's pipeline on one split of the toy data."""
    return dict(
        _delete_=True,
        type='CAERSDataset',
        data_root=data_root,
        ann_file=f'{split}.txt',
        split=split,
        pipeline=pipeline)


train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    dataset=_toy_split('train', _base_.train_dataloader.dataset.pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    dataset=_toy_split('val', _base_.val_dataloader.dataset.pipeline))
test_dataloader = dict(
    batch_size=64,
    num_workers=2,
    dataset=_toy_split('test', _base_.test_dataloader.dataset.pipeline))

# 4 epochs of SGD (momentum 0.9) with a cosine decay from lr 0.01, validated
# at the end: ~2 min per epoch for the 420 training images on 2 busy CPU
# cores (configs/glamor/glamor_original_1xb32-12e_toy.py trains 12 epochs).
optim_wrapper = dict(optimizer=dict(lr=0.01, weight_decay=1e-4))
param_scheduler = dict(
    _delete_=True, type='CosineAnnealingLR', by_epoch=True, T_max=4)
train_cfg = dict(max_epochs=4, val_interval=4)
auto_scale_lr = dict(base_batch_size=32)
default_hooks = dict(logger=dict(interval=5))
randomness = dict(seed=0)
