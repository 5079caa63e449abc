"""Train a GLAMOR-Net (or any glamor_mm / MMPretrain) model.

Follows MMPretrain 1.2's ``tools/train.py`` and adds what a CPU-only machine
needs: ``--launcher pytorch`` without a GPU uses the gloo backend
(``GlamorRunner``, the ``runner_type`` of glamor_mm's configs) and
``--amp`` without a GPU trains in bfloat16 autocast (``BF16AmpOptimWrapper``)
where the CPU computes bfloat16 natively (AVX-512 BF16 or AMX), and stops
with a clear message where it does not.

Examples:
    python tools/train.py configs/glamor_r18_caers.py
    bash tools/dist_train.sh configs/glamor_r18_caers.py 8
    python tools/train.py CONFIG --resume            # latest ckpt in work dir
    python tools/train.py CONFIG --cfg-options sync_bn=torch
"""
import argparse
import os
import os.path as osp
from copy import deepcopy

import torch
from mmengine.config import Config, ConfigDict, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

import glamor_mm  # noqa: F401  (registers glamor_mm components)
from glamor_mm.checkpoint import (resumable_checkpoint,
                                  trust_config_checkpoints)
from glamor_mm.engine import cpu_has_bf16
from glamor_mm.engine.hooks import add_strict_load_hook


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='If specify checkpoint path, resume from it, while if not '
        'specify, try to auto resume from the latest checkpoint '
        'in the work directory. An unreadable (empty, truncated) checkpoint '
        'is skipped, with a warning, for the newest readable one before it.')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='enable automatic-mixed-precision training: float16 with '
        'dynamic loss scaling on a CUDA GPU, bfloat16 on a CPU with '
        'AVX-512 BF16 or AMX')
    parser.add_argument(
        '--compile',
        choices=('backbones', 'model'),
        help='torch.compile the two backbones or the whole model '
        '(CompileModelHook); compiled kernels are kept in '
        '~/.cache/glamor_mm/inductor for the next runs')
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='whether not to evaluate the checkpoint during training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='whether to auto scale the learning rate according to the '
        'actual batch size and the original batch size.')
    parser.add_argument(
        '--no-pin-memory',
        action='store_true',
        help='whether to disable the pin_memory option in dataloaders.')
    parser.add_argument(
        '--no-persistent-workers',
        action='store_true',
        help='whether to disable the persistent_workers option in dataloaders.'
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override some settings in the used config, the key-value pair '
        'in xxx=yyy format will be merged into config file. If the value to '
        'be overwritten is a list, it should be like key="[a,b]" or key=a,b '
        'It also allows nested list/tuple values, e.g. key="[(a,b),(c,d)]" '
        'Note that the quotation marks are necessary and that no white space '
        'is allowed.')
    parser.add_argument(
        '--trust-checkpoint',
        action='store_true',
        help='fully unpickle the checkpoints of `--resume PATH`, `load_from` '
        "and the config's `Pretrained` inits even if they hold types beyond "
        'those of MMEngine checkpoints (it can run code: only for files you '
        'trust)')
    parser.add_argument(
        '--partial-load',
        action='store_true',
        help='load a `load_from` checkpoint that does not fit the model '
        '(missing, unexpected or mis-shaped tensors) as far as it fits, with '
        'warnings; by default such a checkpoint is an error. A checkpoint to '
        '--resume from must always fit')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # torch.distributed.launch passes `--local-rank` since PyTorch 2.0.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def set_default_dataloader_cfg(cfg: Config, field: str,
                               args: argparse.Namespace) -> None:
    """Apply MMPretrain's dataloader defaults and the CLI switches.

    Like MMPretrain, the collate function defaults to ``default_collate``
    (the two-view data preprocessor accepts it as well as
    ``pseudo_collate``) and ``pin_memory`` is on when there is a GPU.
    """
    if cfg.get(field, None) is None:
        return
    dataloader_cfg = ConfigDict(
        pin_memory=torch.cuda.is_available(),
        persistent_workers=True,
        collate_fn=dict(type='default_collate'))
    dataloader_cfg.update(cfg[field])
    if args.no_pin_memory:
        dataloader_cfg['pin_memory'] = False
    if args.no_persistent_workers:
        dataloader_cfg['persistent_workers'] = False
    cfg[field] = dataloader_cfg


def amp_optim_wrapper() -> dict:
    """The optim wrapper settings of ``--amp`` on this machine.

    Returns:
        dict: ``AmpOptimWrapper`` with dynamic loss scaling on a CUDA GPU;
        ``BF16AmpOptimWrapper`` on a CPU that computes bfloat16 natively.

    Raises:
        SystemExit: On a CPU without AVX-512 BF16 or AMX, where bfloat16
            would be emulated, slower than float32.
    """
    if torch.cuda.is_available():
        return dict(type='AmpOptimWrapper', loss_scale='dynamic')
    if not cpu_has_bf16():
        raise SystemExit(
            'error: --amp without a CUDA GPU trains in bfloat16, which '
            'needs a CPU with AVX-512 BF16 or AMX; this CPU has neither '
            '(bfloat16 would be emulated, slower than float32). Run '
            'without --amp on this machine.')
    return dict(type='BF16AmpOptimWrapper')


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Merge CLI arguments to config."""
    cfg.launcher = args.launcher

    # work_dir is determined in this priority: CLI > segment in file > filename
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])

    if args.amp:
        wrapper = amp_optim_wrapper()
        cfg.optim_wrapper.type = wrapper.pop('type')
        for key, value in wrapper.items():
            cfg.optim_wrapper.setdefault(key, value)

    if args.compile:
        hook = dict(
            type='CompileModelHook',
            cache_dir=osp.expanduser('~/.cache/glamor_mm/inductor'))
        if args.compile == 'model':
            hook['targets'] = ['']  # the hook's default: the backbones
        cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [hook]

    if args.resume is not None:
        # a checkpoint cut short by a kill is skipped for the one before it
        cfg.resume = True
        cfg.load_from = resumable_checkpoint(
            None if args.resume == 'auto' else args.resume, cfg.work_dir)

    if args.auto_scale_lr:
        cfg.auto_scale_lr.enable = True

    for field in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        set_default_dataloader_cfg(cfg, field, args)

    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)

    # after --cfg-options, so that options may still name val_dataloader
    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None

    # after --cfg-options, which may set resume
    if cfg.get('resume', False):
        add_strict_load_hook(
            cfg, 'start a new run from it (--cfg-options load_from=... '
            '--partial-load) instead of resuming: a resumed run needs the '
            'model it saved')
    elif not args.partial_load:
        add_strict_load_hook(cfg, 'pass --partial-load to tools/train.py')

    if args.trust_checkpoint and not trust_config_checkpoints(cfg):
        raise SystemExit('error: --trust-checkpoint needs a checkpoint: '
                         "--resume PATH, load_from or a 'StrictPretrained' "
                         'init_cfg in the config.')

    # torch rejects persistent workers for a loader without worker processes
    for field in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(field, None) and cfg[field].get('num_workers', 0) == 0:
            cfg[field].persistent_workers = False
    return cfg


def main() -> None:
    args = parse_args()
    cfg = Config.fromfile(args.config)
    cfg = merge_args(cfg, args)

    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)
    runner.train()


if __name__ == '__main__':
    main()
