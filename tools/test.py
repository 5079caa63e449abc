"""Test (and evaluate) a GLAMOR-Net checkpoint.

Follows MMPretrain 1.2's ``tools/test.py``. After testing it prints the
per-class accuracy and the confusion matrix with class names when the
config's ``test_evaluator`` computes them (the shipped dataset configs do).

Examples:
    python tools/test.py configs/glamor_r18_caers.py work_dirs/.../epoch_60.pth
    python tools/test.py CONFIG CKPT --out preds.pkl        # dump predictions
    python tools/test.py CONFIG CKPT --out m.json --out-item metrics
    python tools/test.py VIDEO_CONFIG CKPT --clip-level  # + clip accuracy
    bash tools/dist_test.sh CONFIG CKPT 8
"""
import argparse
import os
import os.path as osp
from typing import Dict, Sequence

import mmengine
import torch
from mmengine.config import Config, ConfigDict, DictAction
from mmengine.dist import is_main_process
from mmengine.evaluator import DumpResults
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

import glamor_mm  # noqa: F401  (registers glamor_mm components)
from glamor_mm.checkpoint import trust_config_checkpoints
from glamor_mm.engine.hooks import add_strict_load_hook


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='glamor_mm test (and eval) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir',
        help='the directory to save the file containing evaluation metrics')
    parser.add_argument('--out', help='the file to output results.')
    parser.add_argument(
        '--out-item',
        choices=['metrics', 'pred'],
        help='To output whether metrics or predictions. '
        'Defaults to output predictions.')
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
        '--clip-level',
        action='store_true',
        help='video models: also report the accuracy of the single clips '
        '(ClipAccuracy); the accuracy is per video, over its averaged clips')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='enable automatic-mixed-precision test (bfloat16 on the CPU)')
    parser.add_argument(
        '--no-pin-memory',
        action='store_true',
        help='whether to disable the pin_memory option in dataloaders.')
    parser.add_argument(
        '--trust-checkpoint',
        action='store_true',
        help="fully unpickle CHECKPOINT (and the config's `Pretrained` init "
        'checkpoints) even if it holds types beyond those of MMEngine '
        'checkpoints (it can run code: only for files you trust)')
    parser.add_argument(
        '--partial-load',
        action='store_true',
        help='load a CHECKPOINT that does not fit the model (missing, '
        'unexpected or mis-shaped tensors) as far as it fits, with warnings; '
        'by default such a checkpoint is an error, since the rest of the '
        'model would be random')
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


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Merge CLI arguments to config."""
    cfg.launcher = args.launcher

    # work_dir is determined in this priority: CLI > segment in file > filename
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])

    cfg.load_from = args.checkpoint
    if not args.partial_load:
        add_strict_load_hook(cfg, 'pass --partial-load to tools/test.py')

    if args.amp:
        cfg.test_cfg.fp16 = True

    if args.clip_level:
        metrics = cfg.test_evaluator
        metrics = list(metrics) if isinstance(metrics,
                                              (list, tuple)) else [metrics]
        cfg.test_evaluator = metrics + [dict(type='ClipAccuracy')]

    # Like MMPretrain: default_collate (the two-view data preprocessor
    # accepts it as well as pseudo_collate).
    dataloader_cfg = ConfigDict(
        pin_memory=torch.cuda.is_available(),
        collate_fn=dict(type='default_collate'))
    dataloader_cfg.update(cfg.test_dataloader)
    if args.no_pin_memory:
        dataloader_cfg['pin_memory'] = False
    cfg.test_dataloader = dataloader_cfg

    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.trust_checkpoint:
        trust_config_checkpoints(cfg)
    return cfg


def to_builtin(metrics: Dict) -> Dict:
    """Convert tensors in ``metrics`` to lists so that JSON can hold them."""
    return {
        key: value.tolist() if isinstance(value, torch.Tensor) else value
        for key, value in metrics.items()
    }


def format_class_metrics(metrics: Dict, classes: Sequence[str]) -> str:
    """Render per-class metrics and the confusion matrix with class names.

    Args:
        metrics (dict): The metrics returned by ``Runner.test``. Per-class
            values are the lists ``single-label/*_classwise`` of
            ``SingleLabelMetric(average=None)``; the confusion matrix is
            ``confusion_matrix/result`` of ``ConfusionMatrix``.
        classes (Sequence[str]): Class names in label order.

    Returns:
        str: A text table, empty if ``metrics`` has neither.
    """
    lines = []
    width = max(len(name) for name in classes)
    for key, values in metrics.items():
        if key.endswith('_classwise') and len(values) == len(classes):
            lines.append(f'{key} (%):')
            lines += [
                f'  {name:<{width}} {value:6.2f}'
                for name, value in zip(classes, values)
            ]
    matrix = metrics.get('confusion_matrix/result', None)
    if matrix is not None and len(matrix) == len(classes):
        short = [name[:5] for name in classes]
        lines.append('confusion matrix (rows: ground truth, '
                     'columns: prediction):')
        lines.append(' ' * (width + 2) + ''.join(f'{s:>6}' for s in short))
        for name, row in zip(classes, matrix):
            cells = ''.join(f'{int(v):6d}' for v in row)
            lines.append(f'  {name:<{width}}{cells}')
    return '\n'.join(lines)


def main() -> None:
    args = parse_args()

    if args.out is None and args.out_item is not None:
        raise ValueError('Please use `--out` argument to specify the '
                         'path of the output file before using `--out-item`.')

    cfg = Config.fromfile(args.config)
    cfg = merge_args(cfg, args)

    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)

    if args.out and args.out_item in ['pred', None]:
        runner.test_evaluator.metrics.append(
            DumpResults(out_file_path=args.out))

    metrics = runner.test()

    if is_main_process():
        classes = runner.test_dataloader.dataset.metainfo.get('classes')
        if classes:
            table = format_class_metrics(to_builtin(metrics), classes)
            if table:
                runner.logger.info('\n' + table)
        if args.out and args.out_item == 'metrics':
            mmengine.dump(to_builtin(metrics), args.out)


if __name__ == '__main__':
    main()
