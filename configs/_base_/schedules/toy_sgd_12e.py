# Short schedule for the built-in toy data (CPU quickstart): SGD with
# momentum 0.9 and a cosine decay; the paper's lr 5e-4 needs far more epochs
# on 420 training images.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4))

param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, T_max=12)

train_cfg = dict(by_epoch=True, max_epochs=12, val_interval=2)
val_cfg = dict()
test_cfg = dict()

auto_scale_lr = dict(base_batch_size=32)
