"""Convert a checkpoint of the PyTorch CAER-Net-S (github.com/ndkhanh360/CAER).

SRC is what that repository's trainer saves (``model_best.pth``: a dict
with ``arch``, ``epoch``, ``state_dict``, ``optimizer``, ``monitor_best``
and ``config``, an instance of its own ``parse_config.ConfigParser``) or a
bare ``state_dict``. The file is read with
:func:`glamor_mm.utils.load_foreign_checkpoint`: nothing in it is imported or
run; the ``config`` object comes back as an inert record.

DST is an MMEngine checkpoint for
``configs/baselines/caernet-s_original_pytorch-caer_caers.py``.

Example:
    python tools/model_converters/caernet_to_mmpretrain.py \
        model_best.pth checkpoints/caernet-s_pytorch-caer.pth
"""
import argparse
import re
from collections import OrderedDict
from typing import Any, Dict, List, Mapping, Tuple

import torch

from glamor_mm.datasets.categories import CAER_CLASSES
from glamor_mm.checkpoint.conversion import InertObject, load_foreign_checkpoint
from glamor_mm.checkpoint.conversion import save_converted_checkpoint

DEFAULT_CONFIG = 'configs/baselines/caernet-s_original_pytorch-caer_caers.py'
ARCHS = ('CAERSNet', 'DataParallel')
BN = r'(weight|bias|running_mean|running_var|num_batches_tracked)'
# (pattern of a CAERSNet key, glamor_mm key); groups fill the {} in order
RULES: List[Tuple[str, str]] = [
    (rf'two_stream_net\.face_encoding_module\.convs\.(\d+)\.(weight|bias)',
     'face_backbone.blocks.{}.conv.{}'),
    (rf'two_stream_net\.face_encoding_module\.bn\.(\d+)\.{BN}',
     'face_backbone.blocks.{}.bn.{}'),
    (rf'two_stream_net\.context_encoding_module\.convs\.(\d+)\.'
     r'(weight|bias)', 'context_backbone.blocks.{}.conv.{}'),
    (rf'two_stream_net\.context_encoding_module\.bn\.(\d+)\.{BN}',
     'context_backbone.blocks.{}.bn.{}'),
    (r'two_stream_net\.attention_inference_module\.convs\.(\d+)\.(weight)',
     'neck.attention.{}.conv.{}'),
    (rf'two_stream_net\.attention_inference_module\.bn\.(\d+)\.{BN}',
     'neck.attention.{}.bn.{}'),
    (rf'fusion_net\.face_bn\.{BN}', 'head.vector_norms.face.{}'),
    (rf'fusion_net\.context_bn\.{BN}', 'head.vector_norms.context.{}'),
    (r'fusion_net\.face_([12])\.(weight|bias)', 'head.face_scorer.fc{}.{}'),
    (r'fusion_net\.context_([12])\.(weight|bias)',
     'head.context_scorer.fc{}.{}'),
    (r'fusion_net\.fc1\.(weight|bias)', 'head.classifier.0.{}'),
    (r'fusion_net\.fc2\.(weight|bias)', 'head.classifier.3.{}'),
]
# The attention convs' biases, folded into the next BN's running mean.
ATTENTION_BIAS = re.compile(
    r'two_stream_net\.attention_inference_module\.convs\.(\d+)\.bias')


def extract_state_dict(checkpoint: Any,
                       src: str) -> Dict[str, torch.Tensor]:
    """The model tensors of a CAER trainer checkpoint or bare state dict.

    Raises:
        ValueError: ``checkpoint`` is another architecture or variant, or
            holds no state dict; the message names ``src``.
    """
    if not isinstance(checkpoint, Mapping):
        raise ValueError(f'{src} holds a {type(checkpoint).__name__}, not a '
                         'CAER trainer checkpoint or a state_dict.')
    if 'state_dict' in checkpoint:
        arch = checkpoint.get('arch')
        if arch is not None and arch not in ARCHS:
            raise ValueError(
                f'{src} is a checkpoint of {arch!r}, not of CAERSNet '
                '(github.com/ndkhanh360/CAER).')
        check_variant(checkpoint.get('config'), src)
        checkpoint = checkpoint['state_dict']
    if not checkpoint or not all(
            isinstance(v, torch.Tensor) for v in checkpoint.values()):
        raise ValueError(f'{src} has no state_dict of tensors.')
    if all(k.startswith('module.') for k in checkpoint):  # DataParallel
        checkpoint = {k[len('module.'):]: v for k, v in checkpoint.items()}
    return dict(checkpoint)


def check_variant(config: Any, src: str) -> None:
    """Refuse the face-only / context-only / concat variants of CAERSNet.

    They have the same tensors but compute something else. Their switches
    are the ``arch.args`` of the trainer's config, which the safe loader
    returns as the recorded state of an inert object.
    """
    if not isinstance(config, InertObject) or not isinstance(
            config.state, Mapping):
        return
    arch = config.state.get('_config', {}).get('arch', {})
    args = arch.get('args', {}) if isinstance(arch, Mapping) else {}
    full_model = dict(use_face=True, use_context=True, concat=False)
    variant = {
        k: args[k]
        for k in full_model if k in args and args[k] != full_model[k]
    } if isinstance(args, Mapping) else {}
    if variant:
        raise ValueError(
            f'{src} was trained as CAERSNet({variant}); only the full model '
            f'{full_model} is supported.')


def convert(state_dict: Dict[str, torch.Tensor],
            src: str) -> Tuple['OrderedDict[str, torch.Tensor]', List[str]]:
    """Rename the CAERSNet tensors to glamor_mm's.

    Returns:
        tuple: The glamor_mm state dict and one printable line per tensor.

    Raises:
        ValueError: A tensor of ``state_dict`` has no glamor_mm counterpart
            (another architecture); the message names it and ``src``.
    """
    converted, lines, biases = OrderedDict(), [], {}
    for key, value in state_dict.items():
        bias = ATTENTION_BIAS.fullmatch(key)
        if bias:
            biases[bias.group(1)] = (key, value)
            continue
        for pattern, target in RULES:
            match = re.fullmatch(pattern, key)
            if match:
                converted[target.format(*match.groups())] = value
                lines.append(f'{key} -> {target.format(*match.groups())} '
                             f'{tuple(value.shape)}')
                break
        else:
            raise ValueError(
                f'{src}: tensor {key} {tuple(value.shape)} is not part of '
                'the CAERSNet of github.com/ndkhanh360/CAER; is this a '
                'checkpoint of another architecture?')
    for index, (key, bias) in biases.items():
        target = f'neck.attention.{index}.bn.running_mean'
        if target not in converted:
            raise ValueError(f'{src}: {key} has no BatchNorm after it '
                             f'(missing {target}).')
        # BN(conv(x) + b) = BN'(conv(x)) with running_mean' = running_mean - b
        converted[target] = converted[target] - bias
        lines.append(f'{key} -> folded into {target} {tuple(bias.shape)}')
    return converted, lines


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert a CAER-Net-S checkpoint of '
        'github.com/ndkhanh360/CAER to glamor_mm.')
    parser.add_argument('src', help='its checkpoint (e.g. model_best.pth)')
    parser.add_argument('dst', help='output MMEngine checkpoint')
    parser.add_argument(
        '--config',
        default=DEFAULT_CONFIG,
        help='glamor_mm config to check the result against')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    checkpoint = load_foreign_checkpoint(args.src)
    state_dict, lines = convert(extract_state_dict(checkpoint, args.src),
                                args.src)
    print('\n'.join(lines))
    save_converted_checkpoint(state_dict, args.config, args.dst, args.src,
                              CAER_CLASSES)
    print(f'Converted {len(lines)} tensors of {args.src} into {args.dst} '
          f'(config {args.config}).')


if __name__ == '__main__':
    main()
