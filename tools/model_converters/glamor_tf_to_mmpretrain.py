"""Convert the GLAMOR-Net authors' TensorFlow checkpoint to glamor_mm.

SRC is the checkpoint prefix as TensorFlow names it: for the authors'
trained NCAER-S model (github.com/minhnhatvt/glamor-net) that is
``weights/glamor-net/Model`` (files ``Model.index`` and
``Model.data-0000{0,1}-of-00002``, written by Keras ``save_weights``). A
``tf.train.Checkpoint(model=...)`` of their ``train.py`` works too (its
``model/`` prefix is dropped; optimizer slots are ignored). It is read with
TensorFlow's own reader (``pip install tensorflow-cpu``).

DST is an MMEngine checkpoint for
``configs/glamor/glamor_original_tf-authors_ncaers.py`` with the class names
in the papers' order. Layouts: conv kernels HWIO -> OIHW, dense kernels
(in, out) -> (out, in), BN gamma/beta/moving_mean/moving_variance ->
weight/bias/running_mean/running_var (``num_batches_tracked``, which Keras
does not have, is set to 0).

Example:
    python tools/model_converters/glamor_tf_to_mmpretrain.py \
        glamor-net/weights/glamor-net/Model checkpoints/glamor-net_tf.pth
"""
import argparse
import glob
import os
import os.path as osp
import re
from collections import OrderedDict
from types import ModuleType
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
import torch

from glamor_mm.datasets.categories import CAER_CLASSES
from glamor_mm.checkpoint.conversion import (build_model,
                                                  save_converted_checkpoint)

DEFAULT_CONFIG = 'configs/glamor/glamor_original_tf-authors_ncaers.py'
SUFFIX = '/.ATTRIBUTES/VARIABLE_VALUE'
BN_NAMES = dict(
    weight='gamma',
    bias='beta',
    running_mean='moving_mean',
    running_var='moving_variance')
KERNEL_NAMES = dict(weight='kernel', bias='bias')
# glamor_mm module -> (Keras layer path, parameter names)
LAYERS: List[Tuple[str, str, Dict[str, str]]] = [
    (r'face_backbone\.blocks\.(\d+)\.conv', 'FaceEncodingNet/blocks/{}/conv',
     KERNEL_NAMES),
    (r'face_backbone\.blocks\.(\d+)\.bn', 'FaceEncodingNet/blocks/{}/bn',
     BN_NAMES),
    (r'context_backbone\.blocks\.(\d+)\.conv',
     'ContextEncodingNet/blocks/{}/conv', KERNEL_NAMES),
    (r'context_backbone\.blocks\.(\d+)\.bn',
     'ContextEncodingNet/blocks/{}/bn', BN_NAMES),
    (r'neck\.scorer\.fc1', 'attention_fc1', KERNEL_NAMES),
    (r'neck\.scorer\.norm', 'attention_fc1_bn', BN_NAMES),
    (r'neck\.scorer\.fc2', 'attention_fc2', KERNEL_NAMES),
    (r'head\.face_scorer\.fc([12])', 'face_weight{}', KERNEL_NAMES),
    (r'head\.context_scorer\.fc([12])', 'context_weight{}', KERNEL_NAMES),
    (r'head\.classifier\.0', 'final_fc1', KERNEL_NAMES),
    (r'head\.classifier\.3', 'final_classify', KERNEL_NAMES),
]
# Checkpoint entries that are not model weights.
IGNORED = re.compile(r'_CHECKPOINTABLE_OBJECT_GRAPH|save_counter/.*|step/.*|'
                     r'optimizer/.*|.*/\.OPTIMIZER_SLOT/.*')


def tf_variable(key: str) -> Optional[str]:
    """The authors' variable for a glamor_mm state-dict key.

    Returns:
        str | None: E.g. ``FaceEncodingNet/blocks/0/conv/kernel`` for
        ``face_backbone.blocks.0.conv.weight``; None for a key Keras has no
        variable for (``num_batches_tracked``).

    Raises:
        KeyError: ``key`` belongs to no layer of the authors' model.
    """
    module, _, param = key.rpartition('.')
    if param == 'num_batches_tracked':
        return None
    for pattern, layer, names in LAYERS:
        match = re.fullmatch(pattern, module)
        if match and param in names:
            return f'{layer.format(*match.groups())}/{names[param]}'
    raise KeyError(key)


def import_tensorflow() -> ModuleType:
    """TensorFlow, or an ImportError that says how to install it."""
    os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
    try:
        import tensorflow as tf
    except ImportError as e:
        raise ImportError(
            'Reading TensorFlow checkpoints needs TensorFlow: '
            'pip install tensorflow-cpu') from e
    return tf


def checkpoint_prefix(src: str) -> str:
    """The checkpoint prefix, given as such or as its ``.index`` file."""
    return src[:-len('.index')] if src.endswith('.index') else src


def checkpoint_files(src: str) -> List[str]:
    """The index and the data shards found of the TensorFlow checkpoint
    ``src`` (a prefix or its ``.index`` file), index first."""
    prefix = checkpoint_prefix(src)
    return [f'{prefix}.index'] + sorted(
        glob.glob(glob.escape(prefix) + '.data-*-of-*'))


def open_checkpoint(prefix: str) -> Tuple[Any, ModuleType]:
    """TensorFlow's reader of the checkpoint ``prefix``, checked complete.

    Returns:
        tuple: The ``CheckpointReader`` and the ``tensorflow`` module.

    Raises:
        FileNotFoundError: The index or a data shard is missing.
        ValueError: TensorFlow cannot read the index.
    """
    prefix = checkpoint_prefix(prefix)
    index, *shards = checkpoint_files(prefix)
    if not osp.isfile(index):
        raise FileNotFoundError(
            f'{index} does not exist; give the checkpoint prefix, e.g. '
            'glamor-net/weights/glamor-net/Model.')
    counts = {int(s.rsplit('-of-', 1)[1]) for s in shards}
    if not shards or len(counts) != 1:
        raise FileNotFoundError(
            f'{prefix}: no data shards ({prefix}.data-*-of-*) found, or '
            f'shards of different checkpoints: {sorted(shards)}.')
    total = counts.pop()
    for i in range(total):
        shard = f'{prefix}.data-{i:05d}-of-{total:05d}'
        if not osp.isfile(shard):
            raise FileNotFoundError(
                f'Shard {shard} of checkpoint {prefix} is missing.')
    tf = import_tensorflow()
    try:
        return tf.train.load_checkpoint(prefix), tf
    except (tf.errors.OpError, ValueError) as e:
        raise ValueError(
            f'TensorFlow cannot read checkpoint {prefix} (truncated or '
            f'corrupted?): {e}') from e


def convert(prefix: str, config: str
            ) -> Tuple['OrderedDict[str, torch.Tensor]', List[str]]:
    """Read the authors' variables in the layout of ``config``'s model.

    Returns:
        tuple: The glamor_mm state dict and one printable line per tensor.

    Raises:
        ValueError: A variable is missing, unexpected or of the wrong shape,
            or cannot be read; the message names it and ``prefix``.
    """
    reader, tf = open_checkpoint(prefix)
    variables = {
        key[:-len(SUFFIX)] if key.endswith(SUFFIX) else key: key
        for key in reader.get_variable_to_shape_map() if not IGNORED.match(key)
    }
    if variables and all(k.startswith('model/') for k in variables):
        variables = {k[len('model/'):]: v for k, v in variables.items()}
    expected_state = build_model(config).state_dict()
    names = {tf_variable(key) for key in expected_state} - {None}
    if not names & set(variables):
        raise ValueError(
            f'{prefix} holds none of the variables of the authors\' '
            f'GLAMORNet (such as FaceEncodingNet/blocks/0/conv/kernel) but '
            f'{", ".join(sorted(variables)[:5])}...: is it a checkpoint of '
            'another architecture?')
    converted, lines, used = OrderedDict(), [], set()
    for key, expected in expected_state.items():
        name = tf_variable(key)
        if name is None:
            converted[key] = torch.zeros_like(expected)
            continue
        if name not in variables:
            raise ValueError(f'{prefix} has no variable {name} (needed for '
                             f'{key} of {config}).')
        try:
            value = reader.get_tensor(variables[name])
        except (tf.errors.OpError, IndexError, ValueError) as e:
            raise ValueError(f'Cannot read variable {name} of {prefix} '
                             f'(truncated or corrupted data shard?): {e}'
                             ) from e
        if value.ndim == 4:  # conv kernel HWIO -> OIHW
            value = value.transpose(3, 2, 0, 1)
        elif value.ndim == 2:  # dense kernel (in, out) -> (out, in)
            value = value.T
        if value.shape != tuple(expected.shape):
            raise ValueError(
                f'{prefix}: variable {name} has shape '
                f'{reader.get_variable_to_shape_map()[variables[name]]}, '
                f'which does not fit {key} {tuple(expected.shape)} of '
                f'{config}.')
        converted[key] = torch.from_numpy(np.ascontiguousarray(value))
        used.add(name)
        lines.append(f'{name} {list(value.shape)} -> {key}')
    unexpected = sorted(set(variables) - used)
    if unexpected:
        raise ValueError(
            f'{prefix} has variables that the authors\' GLAMORNet does not: '
            f'{", ".join(unexpected[:10])}; is it another architecture?')
    lines.append('num_batches_tracked of every BatchNorm: 0 (Keras has none)')
    return converted, lines


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert the GLAMOR-Net authors\' TensorFlow checkpoint '
        '(github.com/minhnhatvt/glamor-net) to glamor_mm.')
    parser.add_argument(
        'src', help='checkpoint prefix, e.g. weights/glamor-net/Model')
    parser.add_argument('dst', help='output MMEngine checkpoint')
    parser.add_argument(
        '--config',
        default=DEFAULT_CONFIG,
        help='glamor_mm config whose model the weights are for')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    state_dict, lines = convert(args.src, args.config)
    print('\n'.join(lines))
    save_converted_checkpoint(
        state_dict,
        args.config,
        args.dst,
        args.src,
        CAER_CLASSES,
        source_files=checkpoint_files(args.src))
    print(f'Converted {len(lines) - 1} variables of {args.src} into '
          f'{args.dst} (config {args.config}).')


if __name__ == '__main__':
    main()
