# CAER-Net recipe (Lee et al., ICCV 2019, Sec. 5.1): SGD, lr 5e-3 dropped by a
# factor of 10 every 4 epochs, batch 32. The paper gives no epoch count;
# 12 epochs cover three decays (lr 5e-6 at the end).
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=5e-3, momentum=0.9, weight_decay=0.0))  # no weight decay is reported

param_scheduler = dict(type='StepLR', by_epoch=True, step_size=4, gamma=0.1)

train_cfg = dict(by_epoch=True, max_epochs=12, val_interval=1)
val_cfg = dict()
test_cfg = dict()

auto_scale_lr = dict(base_batch_size=32)
