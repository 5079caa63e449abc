"""INT8 static quantization of an exported model with ONNX Runtime.

The quantized graph is in the QDQ format (QuantizeLinear/DequantizeLinear
pairs around the quantized operators) with per-channel int8 weights and
uint8 activations. The activation ranges are calibrated (min/max) on views
of real samples: a data split of the config, each sample made by the
config's test pipeline, the pipeline the inferencer runs.
"""
import os.path as osp
import tempfile
from typing import Dict, Iterator, Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import DATASETS

from .onnx_metadata import load_checked_model, save_with_metadata
from .optional import import_optional

# The convolutions hold nearly all the FLOPs; quantizing the max-pooling and
# ReLU between them too (exact on integers) keeps the activations int8 from
# one convolution to the next, without a dequantize/quantize pair around
# each: 1.4x the speed of convolutions alone at batch 32. Quantizing the
# attention's and the head's MatMul/Gemm too moved the class probabilities
# of a toy model by up to 0.05 (vs 0.003) and changed 13 % of its
# predictions (vs 0.5 %).
QUANTIZED_OPS = ('Conv', 'MaxPool', 'Relu')
Views = Tuple[np.ndarray, np.ndarray, np.ndarray]


def split_views(cfg: Config,
                split: str,
                num_samples: int,
                batch_size: int = 8,
                config_name: str = 'the config') -> Iterator[Views]:
    """Batches of packed views of samples spread evenly over a data split.

    The dataset is built (and its annotation file read) at once, so that
    missing data fails here rather than at the first batch.

    Args:
        cfg (Config): A two-view image config.
        split (str): ``'train'``, ``'val'`` or ``'test'``: the dataset of
            that dataloader, with the test pipeline.
        num_samples (int): Samples to take (all, if the split is smaller),
            evenly spaced over the split so that every part of it (e.g.
            every class of a class-sorted list) is represented.
        batch_size (int): Samples per batch. Defaults to 8.
        config_name (str): Named in the errors. Defaults to 'the config'.

    Returns:
        Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]: uint8 faces
        (B, 3, Hf, Wf), their contexts (B, 3, Hc, Wc) and labels (B,).

    Raises:
        ValueError: If ``num_samples`` < 1, or the split has no dataset or
            cannot be read (its files are not there).
    """
    if num_samples < 1:
        raise ValueError(f'at least one sample is needed, got {num_samples}.')
    loader = cfg.get(f'{split}_dataloader')
    if not loader or not loader.get('dataset'):
        raise ValueError(
            f'{config_name} has no {split}_dataloader dataset to take '
            'samples from.')
    dataset_cfg = dict(
        loader.dataset, pipeline=cfg.test_dataloader.dataset.pipeline)
    try:
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            dataset = DATASETS.build(dataset_cfg)
    except (OSError, ValueError) as e:
        raise ValueError(
            f'{config_name}: the {split} split cannot be read '
            f'({type(e).__name__}: {e}); make its data available or choose '
            'another split.') from e
    indices = np.unique(
        np.linspace(0,
                    len(dataset) - 1, min(num_samples,
                                          len(dataset))).round().astype(int))

    def batches() -> Iterator[Views]:
        for start in range(0, len(indices), batch_size):
            samples = [
                dataset[int(i)] for i in indices[start:start + batch_size]
            ]
            yield (*(torch.stack([s['inputs'][view]
                                  for s in samples]).numpy()
                     for view in ('face', 'context')),
                   np.array([int(s['data_samples'].gt_label[0])
                             for s in samples]))

    return batches()


def compare_scores(reference, other,
                   views: Iterator[Views]) -> Dict[str, float]:
    """How far two exported models' predictions are apart.

    Args:
        reference (OnnxRuntimeClassifier): E.g. the FP32 model.
        other (OnnxRuntimeClassifier): E.g. the INT8 model.
        views (Iterator): Batches of (face, context, label).

    Returns:
        dict[str, float]: ``agreement``, the fraction of samples with the
        same top-1 class; ``max_prob_diff``, the largest absolute
        difference of a class probability; ``reference_accuracy`` and
        ``other_accuracy``, the top-1 accuracies; ``samples``.
    """
    same = right_ref = right_other = count = 0
    largest = 0.
    for face, context, labels in views:
        ref = reference.run(face, context)['scores']
        got = other.run(face, context)['scores']
        same += int((ref.argmax(1) == got.argmax(1)).sum())
        right_ref += int((ref.argmax(1) == labels).sum())
        right_other += int((got.argmax(1) == labels).sum())
        largest = max(largest, float(np.abs(ref - got).max()))
        count += len(ref)
    count = max(count, 1)
    return dict(
        agreement=same / count,
        max_prob_diff=largest,
        reference_accuracy=right_ref / count,
        other_accuracy=right_other / count,
        samples=count)


def quantize_int8(fp32_file: str,
                  out_file: str,
                  calibration: Iterator[Views],
                  info: Dict[str, object] = None) -> int:
    """Quantize the convolutions (with their max-pooling and ReLU) of an
    exported model (QDQ, per-channel int8 weights).

    Args:
        fp32_file (str): A model written by :func:`export_onnx`.
        out_file (str): The INT8 model to write; it keeps the metadata of
            ``fp32_file``, with ``quantization`` set to ``info``, and gets
            its own SHA-256.
        calibration (Iterator): Batches of (face, context, label), e.g.
            from :func:`split_views` (the labels are not used).
        info (dict, optional): What to store as the ``quantization``
            metadata (the calibration data), with ``calib_samples``, the
            number of samples calibrated on. Defaults to None.

    Returns:
        int: The number of samples calibrated on.
    """
    onnx = import_optional('onnx')
    quant = import_optional('onnxruntime.quantization')
    _, meta = load_checked_model(fp32_file)

    count = 0

    class Reader(quant.CalibrationDataReader):

        def get_next(self):
            nonlocal count
            views = next(calibration, None)
            if views is None:
                return None
            count += len(views[0])
            return dict(face=views[0], context=views[1])

    with tempfile.TemporaryDirectory() as tmp:
        prepared = osp.join(tmp, 'prepared.onnx')
        quant.quant_pre_process(
            fp32_file, prepared, skip_symbolic_shape=True)
        quantized = osp.join(tmp, 'int8.onnx')
        quant.quantize_static(
            prepared,
            quantized,
            Reader(),
            quant_format=quant.QuantFormat.QDQ,
            per_channel=True,
            activation_type=quant.QuantType.QUInt8,
            weight_type=quant.QuantType.QInt8,
            op_types_to_quantize=list(QUANTIZED_OPS),
            calibrate_method=quant.CalibrationMethod.MinMax)
        proto = onnx.load(quantized)
    save_with_metadata(
        proto, dict(meta, quantization=dict(info or {}, calib_samples=count)),
        out_file)
    return count
