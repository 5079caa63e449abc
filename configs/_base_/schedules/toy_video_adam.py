# Short schedule for the built-in toy videos (CPU quickstart): Adam, lr 1e-3
# with a cosine decay, batch 8, validated at the end only. (SGD with lr 0.01
# and momentum 0.9, as for the toy images, let CAER-Net's fusion weights
# drift to the face branch, w_face ~0.92, and the loss stalled at 1.34
# after 18 epochs; with Adam both branches keep learning.)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))

param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, T_max=40)

train_cfg = dict(by_epoch=True, max_epochs=40, val_interval=40)
val_cfg = dict()
test_cfg = dict()

auto_scale_lr = dict(base_batch_size=8)
