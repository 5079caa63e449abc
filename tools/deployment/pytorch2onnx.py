"""Export a two-view classifier to ONNX and check it against PyTorch.

The graph takes the packed uint8 views (``face`` K×3×96×96, ``context``
1×3×112×112 for K faces of one picture, or K×3×112×112 for K samples; BGR)
and returns ``scores``, ``attention`` and ``fusion_weights`` (those the
model has). The data preprocessor is inside the graph. Run it with
``GlamorInferencer(CONFIG, 'model.onnx', backend='onnxruntime')`` or the
demos' ``--backend onnxruntime``.

A face-only classifier (an ``ImageClassifier`` whose test pipeline packs
the face crop, e.g. ``configs/baselines/mini-xception_fer2013_face.py``)
becomes a graph with the one input ``face`` (its packed shape, from the
test pipeline) and the output ``scores``.

Example:
    python tools/deployment/pytorch2onnx.py \\
        configs/glamor/glamor_original_1xb32-12e_toy.py \\
        work_dirs/quickstart/epoch_12.pth --out work_dirs/glamor.onnx
"""
import argparse
from typing import Dict, Optional, Sequence

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.dataset import Compose

import glamor_mm  # noqa: F401  (registers the models)
from glamor_mm.apis import keep_default_scope
from glamor_mm.deployment import (FaceOnnxModule, OnnxRuntimeClassifier,
                                  TwoViewOnnxModule, export_face_onnx,
                                  export_onnx, import_optional)
from glamor_mm.checkpoint import init_model_checked


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Export a GLAMOR-Net model to ONNX.')
    parser.add_argument('config', help='model config')
    parser.add_argument('checkpoint', help='checkpoint')
    parser.add_argument('--out', required=True, help='the .onnx file')
    parser.add_argument(
        '--opset', type=int, default=17, help='ONNX opset (default 17)')
    parser.add_argument(
        '--tolerance',
        type=float,
        default=1e-5,
        help='largest allowed difference to PyTorch (default 1e-5)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as in tools/train.py')
    return parser.parse_args()


def check_against_pytorch(module: TwoViewOnnxModule,
                          onnx_file: str) -> Dict[str, float]:
    """Largest absolute difference of each output, ONNX Runtime vs PyTorch.

    Checked on random views in both layouts: 3 faces with one shared
    context, and 3 samples with a context each.

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
            0, 256, (3, 3, 96, 96), dtype=torch.uint8, generator=gen)
        context = torch.randint(
            0, 256, (contexts, 3, 112, 112), dtype=torch.uint8, generator=gen)
        with torch.no_grad():
            expected = module(face, context)
        outputs = session.run(face.numpy(), context.numpy())
        for (name, value), ref in zip(outputs.items(), expected):
            diff = float(np.abs(value - ref.numpy()).max())
            diffs[name] = max(diffs.get(name, 0.), diff)
    return diffs


def export_face_only(model: torch.nn.Module, cfg: Config, out: str,
                     classes: Optional[Sequence[str]],
                     opset: int) -> Dict[str, float]:
    """Export a face-only classifier and check it on 3 random faces.

    The face shape is what the config's test pipeline packs for a face of
    a 320x240 picture.

    Returns:
        dict[str, float]: ``{'scores': max |ONNX Runtime - PyTorch|}``.
    """
    steps = [
        t for t in cfg.test_dataloader.dataset.pipeline
        if t['type'].split('.')[-1] != 'LoadImageFromFile'
    ]
    with keep_default_scope(cfg.get('default_scope', 'mmpretrain')):
        packed = Compose(steps)(
            dict(
                img=np.zeros((240, 320, 3), np.uint8),
                face_bbox=[100, 60, 220, 180],
                img_path=None,
                ori_shape=(240, 320),
                img_shape=(240, 320)))
    face_shape = tuple(packed['inputs'].shape)
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
    with keep_default_scope(cfg.get('default_scope', 'mmpretrain')):
        model = init_model_checked(cfg, args.checkpoint, opt_in=None)
    classes = getattr(model, '_dataset_meta', {}).get('classes')
    if not hasattr(model, 'predict_faces'):  # a face-only classifier
        diffs = export_face_only(model, cfg, args.out, classes, args.opset)
    else:
        outputs = export_onnx(
            model, args.out, classes=classes, opset_version=args.opset)
        print(f'Wrote {args.out}: inputs face, context (uint8 BGR, dynamic '
              f'batch); outputs {", ".join(outputs)}')
        diffs = check_against_pytorch(TwoViewOnnxModule(model), args.out)
    for name, diff in diffs.items():
        print(f'  max |ONNX Runtime - PyTorch| of {name}: {diff:.2e}')
    worst = max(diffs.values())
    if worst > args.tolerance:
        raise RuntimeError(
            f'{args.out}: ONNX Runtime differs from PyTorch by {worst:.2e} '
            f'> --tolerance {args.tolerance:g}.')
    return diffs


if __name__ == '__main__':
    main()
