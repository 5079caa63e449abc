"""Read the prediction dumps written by ``tools/test.py --out``."""
from typing import List, NamedTuple, Optional

import numpy as np
import torch

from glamor_mm.checkpoint import safe_pickle_load


class PredictionDump(NamedTuple):
    """Labels of one prediction dump.

    Attributes:
        pred_labels (np.ndarray): Predicted labels, shape (N, ).
        gt_labels (np.ndarray): Ground-truth labels, shape (N, ).
        img_paths (list[str] | None): Image path of every sample when the
            dump has them, used to check that two dumps are paired.
        num_classes (int | None): Length of ``pred_score`` when the dump
            has scores.
    """
    pred_labels: np.ndarray
    gt_labels: np.ndarray
    img_paths: Optional[List[str]]
    num_classes: Optional[int]


def dump_array(value) -> np.ndarray:
    """A dumped field (tensor, array or Python value) as a numpy array."""
    if isinstance(value, torch.Tensor):
        return value.cpu().numpy()
    return np.asarray(value)


def _scalar_label(value, key: str, index: int, path: str) -> int:
    """Turn a label stored as tensor/array/int into a Python int."""
    arr = dump_array(value)
    if arr.size != 1:
        raise ValueError(f'{path}: sample {index} has a {key} of size '
                         f'{arr.size}; single-label predictions expected.')
    return int(arr.reshape(-1)[0])


def load_dump_results(path: str) -> List[dict]:
    """The per-sample dicts of a ``tools/test.py --out`` pickle.

    Unpickled with :func:`glamor_mm.utils.safe_pickle_load` (see
    :func:`load_prediction_dump`).

    Raises:
        ValueError: The file is not a non-empty list.
    """
    results = safe_pickle_load(path)
    if not isinstance(results, list) or not results:
        raise ValueError(f'{path}: expected a non-empty list of predictions '
                         '(the output of tools/test.py --out), got '
                         f'{type(results).__name__}.')
    return results


def load_prediction_dump(path: str) -> PredictionDump:
    """Load a ``tools/test.py --out`` pickle (MMEngine ``DumpResults``).

    The dump is a list of ``DataSample.to_dict()`` results; each entry must
    have ``gt_label`` and either ``pred_label`` or ``pred_score``. It is
    unpickled with :func:`glamor_mm.utils.safe_pickle_load`: only builtins,
    tensors and numpy values, what ``tools/test.py --out`` writes; anything
    else is refused unless the file was trusted with
    :func:`glamor_mm.utils.trust_checkpoint` (``--trust-dump``).

    Args:
        path (str): Path of the ``.pkl`` dump.

    Raises:
        UntrustedCheckpointError: The dump holds other objects.

    Returns:
        PredictionDump: predicted and ground-truth labels, image paths and
        number of classes where known.
    """
    results = load_dump_results(path)
    preds, gts, img_paths = [], [], []
    num_classes = None
    for index, result in enumerate(results):
        if 'gt_label' not in result:
            raise ValueError(f'{path}: sample {index} has no gt_label.')
        if 'pred_score' in result:
            num_classes = len(result['pred_score'])
        if 'pred_label' in result:
            pred = _scalar_label(result['pred_label'], 'pred_label', index,
                                 path)
        elif 'pred_score' in result:
            pred = int(torch.as_tensor(result['pred_score']).argmax())
        else:
            raise ValueError(f'{path}: sample {index} has neither pred_label '
                             'nor pred_score.')
        preds.append(pred)
        gts.append(_scalar_label(result['gt_label'], 'gt_label', index, path))
        img_paths.append(result.get('img_path'))
    has_paths = all(p is not None for p in img_paths)
    return PredictionDump(
        np.array(preds, dtype=np.int64), np.array(gts, dtype=np.int64),
        img_paths if has_paths else None, num_classes)
