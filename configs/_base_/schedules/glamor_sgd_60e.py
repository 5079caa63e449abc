# GLAMOR-Net recipe of the authors' code: SGD with momentum 0.9, lr 5e-4
# decayed by 0.1 at epochs 25 and 40 of 60, batch 32 on one GPU.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=5e-4, momentum=0.9, weight_decay=0.0))  # no weight decay is reported

param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[25, 40], gamma=0.1)

train_cfg = dict(by_epoch=True, max_epochs=60, val_interval=1)
val_cfg = dict()
test_cfg = dict()

# lr 5e-4 is for a total batch of 32 (1 GPU x 32 images); enable scaling to
# another total batch with `--auto-scale-lr`.
auto_scale_lr = dict(base_batch_size=32)
