# Built-in toy data: synthetic CAER-S-layout scenes in which the emotion can
# only be read reliably from face and context together. Generate it with
#   python tools/dataset_converters/generate_toy_caers.py data/toy_caers
# -> data/toy_caers/{train,val,test}/<Class>/<name>.png + {train,val,test}.txt
# Same two-view pipeline, preprocessor and metrics as CAER-S, with the
# dataset's own val split; 2 loader workers for small machines.
_base_ = ['./caers.py']

data_root = 'data/toy_caers'

train_dataloader = dict(
    num_workers=2, dataset=dict(data_root=data_root))

val_dataloader = dict(
    num_workers=2,
    dataset=dict(data_root=data_root, ann_file='val.txt', split='val'))

test_dataloader = dict(
    batch_size=64,
    num_workers=2,
    dataset=dict(
        type='CAERSDataset',
        data_root=data_root,
        ann_file='test.txt',
        split='test',
        pipeline={{_base_.test_pipeline}}),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
