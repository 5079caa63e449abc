"""Command-line arguments shared by the image and video demos."""
import sys
from argparse import ArgumentParser, Namespace

import torch

from glamor_mm.apis import GlamorInferencer
from glamor_mm.utils.default_model import default_checkpoint

RANDOM_WEIGHTS_WARNING = (
    '*' * 72 + '\nWARNING: no CHECKPOINT given: the classifier has RANDOM '
    'weights.\nThe emotions below show the pipeline working; they mean '
    'nothing.\n' + '*' * 72)


def add_inferencer_args(parser: ArgumentParser) -> None:
    """Add the classifier and face-detector arguments of the demos.

    Args:
        parser (ArgumentParser): The demo's parser; its first positional
            argument (the input) is added by the demo itself.
    """
    parser.add_argument(
        'config',
        nargs='?',
        default=None,
        help='classifier config (default: the face-only FER2013 '
        'mini-Xception that tools/setup_env.sh converts into the cache, '
        'with its weights)')
    parser.add_argument(
        'checkpoint',
        nargs='?',
        default=None,
        help='classifier checkpoint (.pth; without one the classifier has '
        'random weights and the demo says so loudly), or the .onnx file of '
        'tools/deployment/pytorch2onnx.py with --backend onnxruntime')
    parser.add_argument(
        '--backend',
        choices=('pytorch', 'onnxruntime'),
        default='pytorch',
        help='run the classifier with PyTorch or with ONNX Runtime')
    parser.add_argument(
        '--threads',
        type=int,
        default=1,
        help='threads of the classifier (torch.set_num_threads, or ONNX '
        "Runtime's); default 1: on a busy machine more threads than free "
        'cores make every frame slower')
    parser.add_argument(
        '--partial-load',
        action='store_true',
        help='load a checkpoint that does not fit the config (missing, '
        'unexpected or mis-shaped tensors) as far as it fits; by default '
        'that is an error listing the tensors')
    parser.add_argument(
        '--detector',
        default='configs/face_detectors/dlib_hog.py',
        help='face detector config (MMDet)')
    parser.add_argument(
        '--detector-weights', default=None, help='face detector checkpoint')
    parser.add_argument(
        '--det-thr',
        type=float,
        default=0.3,
        help='ignore face detections scored below it (dlib HOG margins of '
        'true faces are ~1-2; MMDet detectors give probabilities)')
    parser.add_argument('--device', default=None, help='e.g. cpu, cuda:0')


def build_inferencer(args: Namespace) -> GlamorInferencer:
    """The inferencer described by :func:`add_inferencer_args`' arguments.

    Args:
        args (Namespace): Parsed arguments.

    Without a config it uses GlamorInferencer's default model (the cached
    FER2013 face model). With a config but no checkpoint it prints
    :data:`RANDOM_WEIGHTS_WARNING` to stderr: the demo still shows the
    pipeline at work, but its emotions mean nothing.

    Returns:
        GlamorInferencer: The classifier with its face detector.
    """
    torch.set_num_threads(args.threads)
    if args.config is None:
        try:  # say how to make it, without a traceback
            default_checkpoint()
        except FileNotFoundError as e:
            raise SystemExit(str(e))
    elif args.checkpoint is None:
        print(RANDOM_WEIGHTS_WARNING, file=sys.stderr)
    return GlamorInferencer(
        args.config,
        args.checkpoint,
        detector=args.detector,
        detector_weights=args.detector_weights,
        device=args.device,
        det_score_thr=args.det_thr,
        partial_load=args.partial_load,
        backend=args.backend,
        ort_threads=args.threads)
