# Built-in toy data: synthetic CAER-S-layout scenes in which the emotion can
# only be read reliably from face and context together. Generate it with
#   python tools/dataset_converters/generate_toy_caers.py data/toy_caers
# -> data/toy_caers/{train,val,test}/<Class>/<name>.png + {train,val,test}.txt
# Same two-view pipeline, preprocessor and metrics as CAER-S, with the
# dataset's own val split; 2 loader workers for small machines.
_base_ = ['./caers.py']

data_root = 'data/toy_caers'

# the toy data has a validation list: no split is carved out of train
train_dataloader = dict(
    num_workers=2, dataset=dict(data_root=data_root, holdout=None))

val_dataloader = dict(
    num_workers=2,
    dataset=dict(
        data_root=data_root, ann_file='val.txt', split='val', holdout=None))

test_dataloader = dict(num_workers=2, dataset=dict(data_root=data_root))
