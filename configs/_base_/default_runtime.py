# defaults to use registries in mmpretrain; importing glamor_mm registers the
# two-view model, datasets, transforms, metrics and hooks
default_scope = 'mmpretrain'
custom_imports = dict(imports=['glamor_mm'], allow_failed_imports=False)

# MMEngine's Runner with glamor_mm's checked checkpoint loading (integrity,
# safe unpickling) and distributed jobs on CPUs (gloo)
runner_type = 'GlamorRunner'

# configure default hooks
default_hooks = dict(
    # record the time of every iteration.
    timer=dict(type='IterTimerHook'),

    # print log every 50 iterations.
    logger=dict(type='LoggerHook', interval=50),

    # enable the parameter scheduler.
    param_scheduler=dict(type='ParamSchedulerHook'),

    # save a checkpoint every epoch, keep the last 3 and the best one;
    # atomic writes, old files removed only after the new one is saved.
    checkpoint=dict(
        type='SafeCheckpointHook',
        interval=1,
        max_keep_ckpts=3,
        save_best='auto'),

    # set sampler seed in distributed environment.
    sampler_seed=dict(type='DistSamplerSeedHook'),

    # validation results visualization, set True to enable it.
    visualization=dict(type='VisualizationHook', enable=False),

    # stop at the start when model and dataset disagree on the classes.
    num_class_check=dict(type='NumClassCheckHook'),

    # warn, per epoch, how many samples had an all-zero face view.
    zeroed_faces=dict(type='ZeroedFaceHook'),
)

# configure environment
env_cfg = dict(
    # whether to enable cudnn benchmark
    cudnn_benchmark=False,

    # set multi process parameters
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),

    # set distributed parameters; GlamorRunner switches to gloo when there
    # is no GPU
    dist_cfg=dict(backend='nccl'),
)

# set visualizer
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)

# set log level
log_level = 'INFO'

# load from which checkpoint
load_from = None

# whether to resume training from the loaded checkpoint
resume = False

# Random seed (e.g. `--cfg-options randomness.seed=0`) and deterministic ops
randomness = dict(seed=None, deterministic=False)

# Synchronised BatchNorm across GPUs: `--cfg-options sync_bn=torch` (or
# `sync_bn=mmcv`); needs GPUs, BatchNorm of CPU processes stays per-process.
