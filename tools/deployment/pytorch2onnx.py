"""Export a two-view classifier to ONNX and check it against PyTorch.

The graph takes the packed uint8 views (``face`` K×3×Hf×Wf, ``context``
1×3×Hc×Wc for K faces of one picture, or K×3×Hc×Wc for K samples; BGR),
of the sizes the config's test pipeline makes (``--face-size`` /
``--context-size`` where the pipeline does not fix them), and returns
``scores``, ``attention`` and ``fusion_weights`` (those the model has).
The data preprocessor is inside the graph. Run it with
``GlamorInferencer(CONFIG, 'model.onnx', backend='onnxruntime')`` or the
demos' ``--backend onnxruntime``.

A face-only classifier (an ``ImageClassifier`` whose test pipeline packs
the face crop, e.g. ``configs/baselines/mini-xception_fer2013_face.py``)
becomes a graph with the one input ``face`` (its packed shape, from the
test pipeline) and the output ``scores``.

With ``--int8`` it also writes ``<out>_int8.onnx``: the convolutions
statically quantized by ONNX Runtime (QDQ, per-channel int8 weights, uint8
activations), calibrated on ``--calib-samples`` samples of the config's
``--calib-split``, made by the config's test pipeline; it prints how often
the INT8 model's top-1 class agrees with the FP32 one's on the test split.

Example:
    python tools/deployment/pytorch2onnx.py \\
        configs/glamor/glamor_original_1xb32-12e_toy.py \\
        work_dirs/quickstart/epoch_12.pth --out work_dirs/glamor.onnx \\
        --int8 --calib-split train --calib-samples 256
"""
import argparse
import os.path as osp
from typing import Dict, Optional, Sequence

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.registry import DefaultScope

import glamor_mm  # noqa: F401  (registers the models)
from glamor_mm.deployment import (FaceOnnxModule, OnnxRuntimeClassifier,
                                  face_crop_shape, TwoViewOnnxModule,
                                  export_face_onnx, export_onnx,
                                  import_optional, pipeline_view_shapes)
from glamor_mm.deployment.quantization import (compare_scores, quantize_int8,
                                               split_views)
from glamor_mm.checkpoint import init_model_checked


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Export a GLAMOR-Net model to ONNX.')
    parser.add_argument('config', help='model config')
    parser.add_argument('checkpoint', help='checkpoint')
    parser.add_argument('--out', required=True, help='the .onnx file')
    for view in ('face', 'context'):
        parser.add_argument(
            f'--{view}-size',
            type=int,
            nargs=2,
            metavar=('H', 'W'),
            help=f'size of the {view} view, needed only when the test '
            'pipeline does not fix it (default: the pipeline\'s)')
    parser.add_argument(
        '--opset', type=int, default=17, help='ONNX opset (default 17)')
    parser.add_argument(
        '--tolerance',
        type=float,
        default=1e-5,
        help='largest allowed difference to PyTorch (default 1e-5)')
    parser.add_argument(
        '--int8',
        action='store_true',
        help='also write <out>_int8.onnx, statically quantized')
    parser.add_argument(
        '--calib-split',
        choices=('train', 'val', 'test'),
        help='split of the config\'s data to calibrate --int8 on '
        '(default train)')
    parser.add_argument(
        '--calib-samples',
        type=int,
        help='samples to calibrate --int8 on, spread over the split '
        '(default 256)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as in tools/train.py')
    args = parser.parse_args()
    if not args.int8 and (args.calib_split or args.calib_samples):
        parser.error('--calib-split and --calib-samples go with --int8.')
    args.calib_split = args.calib_split or 'train'
    args.calib_samples = args.calib_samples or 256
    return args


def int8_path(out: str) -> str:
    """``model.onnx`` -> ``model_int8.onnx``."""
    stem, ext = osp.splitext(out)
    return f'{stem}_int8{ext or ".onnx"}'


def report_int8(cfg: Config, fp32_file: str, int8_file: str,
                config_name: str) -> None:
    """Print how far the INT8 model's predictions are from the FP32 ones'
    on the config's test split (skipped when it cannot be read)."""
    try:
        views = split_views(cfg, 'test', 10**9, config_name=config_name)
    except ValueError as e:
        print(f'  INT8 vs FP32 not compared: {e}')
        return
    result = compare_scores(
        OnnxRuntimeClassifier(fp32_file), OnnxRuntimeClassifier(int8_file),
        views)
    print(f'  INT8 vs FP32 on the {result["samples"]} samples of the test '
          f'split: top-1 accuracy {result["other_accuracy"]:.2%} vs '
          f'{result["reference_accuracy"]:.2%}, same top-1 class for '
          f'{result["agreement"]:.2%}, largest probability difference '
          f'{result["max_prob_diff"]:.2e}')


def check_against_pytorch(module: TwoViewOnnxModule,
                          onnx_file: str) -> Dict[str, float]:
    """Largest absolute difference of each output, ONNX Runtime vs PyTorch.

    Checked on random views of the exported shapes in both layouts:
    3 faces with one shared context, and 3 samples with a context each.

    Args:
        module (TwoViewOnnxModule): The exported module.
        onnx_file (str): The exported file.

    Returns:
        dict[str, float]: Output name -> max |ONNX Runtime - PyTorch|.
    """
    session = OnnxRuntimeClassifier(onnx_file, num_threads=1)
    gen = torch.Generator().manual_seed(1)
    diffs = {}
    for contexts in (1, 3):
        face = torch.randint(
            0,
            256, (3, *session.view_shapes['face']),
            dtype=torch.uint8,
            generator=gen)
        context = torch.randint(
            0,
            256, (contexts, *session.view_shapes['context']),
            dtype=torch.uint8,
            generator=gen)
        with torch.no_grad():
            expected = module(face, context)
        outputs = session.run(face.numpy(), context.numpy())
        for (name, value), ref in zip(outputs.items(), expected):
            diff = float(np.abs(value - ref.numpy()).max())
            diffs[name] = max(diffs.get(name, 0.), diff)
    return diffs


def packs_face_crops(cfg: Config) -> bool:
    """Whether the config's test pipeline packs face crops alone
    (``PackInputs(input_key='face_img')``: a face-only classifier)."""
    last = cfg.test_dataloader.dataset.pipeline[-1]
    return (last['type'].split('.')[-1] == 'PackInputs'
            and last.get('input_key') == 'face_img')


def export_face_only(model: torch.nn.Module, cfg: Config, out: str,
                     classes: Optional[Sequence[str]],
                     opset: int) -> Dict[str, float]:
    """Export a face-only classifier and check it on 3 random faces.

    The face shape is what the config's test pipeline packs.

    Returns:
        dict[str, float]: ``{'scores': max |ONNX Runtime - PyTorch|}``.
    """
    face_shape = face_crop_shape(cfg)
    export_face_onnx(model, out, face_shape, classes, opset)
    print(f'Wrote {out}: input face {face_shape} (uint8, dynamic batch); '
          'output scores')
    faces = torch.randint(
        0,
        256, (3, *face_shape),
        dtype=torch.uint8,
        generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = FaceOnnxModule(model)(faces).numpy()
    scores = OnnxRuntimeClassifier(out).run(faces.numpy(), None)['scores']
    return dict(scores=float(np.abs(scores - expected).max()))


def main() -> Dict[str, float]:
    """Export, check and print the differences.

    Returns:
        dict[str, float]: Output name -> max |ONNX Runtime - PyTorch|.
    """
    args = parse_args()
    for name in ('onnx', 'onnxruntime'):
        import_optional(name)  # fail early, with the install hint
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    face_only = packs_face_crops(cfg)
    if face_only and args.int8:
        raise ValueError(f'{args.config}: --int8 takes two-view models; '
                         'this one classifies face crops alone.')
    if not face_only:
        face_shape, context_shape = pipeline_view_shapes(
            cfg, args.face_size, args.context_size, config_name=args.config)
    if args.int8:  # the calibration data must be there before any work
        try:
            calibration = split_views(
                cfg,
                args.calib_split,
                args.calib_samples,
                config_name=args.config)
        except ValueError as e:
            raise ValueError(f'--int8 needs calibration data: {e}') from e
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'mmpretrain')):
        model = init_model_checked(cfg, args.checkpoint, opt_in=None)
    classes = getattr(model, '_dataset_meta', {}).get('classes')
    if face_only:
        diffs = export_face_only(model, cfg, args.out, classes, args.opset)
    else:
        outputs = export_onnx(
            model,
            args.out,
            face_shape,
            context_shape,
            classes=classes,
            opset_version=args.opset)
        print(f'Wrote {args.out}: inputs face '
              f'N×{"×".join(map(str, face_shape))}, context '
              f'N×{"×".join(map(str, context_shape))} (uint8 BGR, dynamic '
              f'batch N); outputs {", ".join(outputs)}')
        diffs = check_against_pytorch(TwoViewOnnxModule(model), args.out)
    for name, diff in diffs.items():
        print(f'  max |ONNX Runtime - PyTorch| of {name}: {diff:.2e}')
    worst = max(diffs.values())
    if worst > args.tolerance:
        raise RuntimeError(
            f'{args.out}: ONNX Runtime differs from PyTorch by {worst:.2e} '
            f'> --tolerance {args.tolerance:g}.')
    if args.int8:
        int8_file = int8_path(args.out)
        count = quantize_int8(
            args.out,
            int8_file,
            calibration,
            info=dict(calib_split=args.calib_split))
        print(f'Wrote {int8_file}: INT8 (QDQ, per-channel weights), '
              f'calibrated on {count} samples of the {args.calib_split} '
              'split')
        report_int8(cfg, args.out, int8_file, args.config)
    return diffs


if __name__ == '__main__':
    main()
