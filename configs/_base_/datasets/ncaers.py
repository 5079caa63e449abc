# NCAER-S (GLAMOR-Net paper Sec. 4.1) as distributed by its authors:
#   data/ncaer_s/images/{train,val,test}/<Class>/<img>.jpg
#   data/ncaer_s/crop/{train,val,test}/<Class>/<img>.txt   (x1,y1,x2,y2)
# Same two-view pipeline, preprocessor and metrics as CAER-S.
_base_ = ['./caers.py']

dataset_type = 'NCAERSDataset'
data_root = 'data/ncaer_s'

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline={{_base_.train_pipeline}}))

val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        split='val',
        pipeline={{_base_.test_pipeline}}))

test_dataloader = dict(
    batch_size=64,
    num_workers=4,
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        split='test',
        pipeline={{_base_.test_pipeline}}),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
