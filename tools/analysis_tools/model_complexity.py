# Copyright (c) glamor_mm contributors.
"""Parameters and FLOPs of two-view models, per component.

Example::

    python tools/analysis_tools/model_complexity.py \
        configs/_base_/models/glamor_original.py \
        configs/_base_/models/glamor_mobilenetv2.py \
        configs/_base_/models/glamor_resnet18.py \
        configs/_base_/models/caernet_s.py

FLOPs are counted by MMEngine's ``FlopAnalyzer`` (fvcore convention: one
fused multiply-add = one FLOP) for one face (default 3x96x96) and one
context (default 3x112x112) in eval mode. "params" are trainable
parameters; "params+BN stats" also counts the BatchNorm running mean and
variance, which is what Keras' ``model.summary()`` reports.
"""
import argparse
import os.path as osp
from typing import Dict, Optional, Sequence

import torch
import torch.nn as nn
from mmengine.analysis import FlopAnalyzer
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS

import glamor_mm  # noqa: F401

COMPONENTS = ('face_backbone', 'context_backbone', 'neck', 'head')


class TwoViewForward(nn.Module):
    """Expose ``model(dict(face, context), mode='tensor')`` as
    ``forward(face, context)`` so the JIT-based FLOP counter can trace it."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, face: torch.Tensor,
                context: torch.Tensor) -> torch.Tensor:
        return self.model(dict(face=face, context=context), mode='tensor')


def count_parameters(module: Optional[nn.Module]) -> Dict[str, int]:
    """Count trainable parameters and BatchNorm running statistics.

    Returns:
        dict: ``params`` (all parameters) and ``bn_stats`` (elements of
        ``running_mean`` and ``running_var`` buffers); zeros for None.
    """
    if module is None:
        return dict(params=0, bn_stats=0)
    return dict(
        params=sum(p.numel() for p in module.parameters()),
        bn_stats=sum(b.numel() for name, b in module.named_buffers()
                     if name.rsplit('.', 1)[-1] in ('running_mean',
                                                    'running_var')))


def analyze(
    model: nn.Module,
    face_shape: Sequence[int] = (96, 96),
    context_shape: Sequence[int] = (112, 112)
) -> Dict[str, dict]:
    """Parameters and FLOPs of a ``GlamorClassifier`` per component.

    Args:
        model (nn.Module): The classifier.
        face_shape (Sequence[int]): Face input (H, W). Defaults to (96, 96).
        context_shape (Sequence[int]): Context input (H, W).
            Defaults to (112, 112).

    Returns:
        dict: For each of ``COMPONENTS`` and ``'total'``: ``params``,
        ``bn_stats`` and ``flops`` (for one face and one context).
    """
    model.eval()
    wrapper = TwoViewForward(model)
    inputs = (torch.zeros(1, 3,
                          *face_shape), torch.zeros(1, 3, *context_shape))
    analyzer = FlopAnalyzer(wrapper, inputs)
    analyzer.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    flops_by_module = analyzer.by_module()
    result = {}
    for name in COMPONENTS:
        result[name] = count_parameters(getattr(model, name, None))
        result[name]['flops'] = flops_by_module.get(f'model.{name}', 0)
    result['total'] = count_parameters(model)
    result['total']['flops'] = analyzer.total()
    return result


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Print parameters and FLOPs of two-view model configs.')
    parser.add_argument('configs', nargs='+', help='config file(s).')
    parser.add_argument(
        '--face-shape',
        type=int,
        nargs=2,
        default=[96, 96],
        metavar=('H', 'W'),
        help='face input size.')
    parser.add_argument(
        '--context-shape',
        type=int,
        nargs=2,
        default=[112, 112],
        metavar=('H', 'W'),
        help='context input size.')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of every config, e.g. '
        'model.head.fusion=add.')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    rows = []
    for path in args.configs:
        cfg = Config.fromfile(path)
        if args.cfg_options:
            cfg.merge_from_dict(args.cfg_options)
        init_default_scope(cfg.get('default_scope', 'mmpretrain'))
        model = MODELS.build(cfg.model)
        result = analyze(model, args.face_shape, args.context_shape)
        name = osp.splitext(osp.basename(path))[0]
        print(f'\n{name}: face {tuple(args.face_shape)}, context '
              f'{tuple(args.context_shape)}')
        print(f'{"component":<18}{"params":>13}{"params+BN stats":>17}'
              f'{"MFLOPs":>10}')
        for part in COMPONENTS + ('total', ):
            r = result[part]
            print(f'{part:<18}{r["params"]:>13,}'
                  f'{r["params"] + r["bn_stats"]:>17,}'
                  f'{r["flops"] / 1e6:>10.1f}')
        total = result['total']
        rows.append(f'| {name} | {total["params"]:,} | '
                    f'{total["params"] + total["bn_stats"]:,} | '
                    f'{total["flops"] / 1e6:.1f} |')
    print('\n| model | params | params + BN stats | MFLOPs |')
    print('|---|---:|---:|---:|')
    print('\n'.join(rows))


if __name__ == '__main__':
    main()
