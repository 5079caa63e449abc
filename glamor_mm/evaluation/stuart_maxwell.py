"""Stuart–Maxwell test of marginal homogeneity for paired categorical labels.

The paper (GLAMOR-Net, Table 5) compares classifiers evaluated on the same
test set with this test, the multi-class generalisation of McNemar's test.
"""
from typing import NamedTuple, Sequence, Union

import numpy as np
import torch
from scipy.sparse.csgraph import connected_components
from scipy.stats import chi2

LabelArray = Union[Sequence[int], np.ndarray, torch.Tensor]


class StuartMaxwellResult(NamedTuple):
    """Result of :func:`stuart_maxwell`.

    Attributes:
        statistic (float): The chi-square statistic ``d^T S^- d``.
        dof (int): Degrees of freedom, the rank of ``S``.
        p_value (float): Upper tail probability of ``chi2(dof)``; 1.0 when
            ``dof`` is 0 (the two raters never disagree).
    """
    statistic: float
    dof: int
    p_value: float


def _to_labels(labels: LabelArray, num_classes: int, name: str) -> np.ndarray:
    """Validate a label sequence and return it as a 1-D int64 array."""
    if isinstance(labels, torch.Tensor):
        labels = labels.detach().cpu().numpy()
    arr = np.asarray(labels)
    if arr.ndim != 1:
        raise ValueError(f'{name} must be 1-D, got shape {arr.shape}.')
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f'{name} must hold integer labels, got {arr.dtype}.')
    arr = arr.astype(np.int64)
    if arr.size and (arr.min() < 0 or arr.max() >= num_classes):
        raise ValueError(f'{name} has labels outside [0, {num_classes}): '
                         f'min {arr.min()}, max {arr.max()}.')
    return arr


def stuart_maxwell(labels_a: LabelArray, labels_b: LabelArray,
                   num_classes: int) -> StuartMaxwellResult:
    """Stuart–Maxwell test of marginal homogeneity.

    Tests whether two paired label sequences over the same samples (two
    models' predictions, or predictions and ground truth) have the same
    marginal class distribution. With the cross table ``n`` (``n[i, j]``:
    samples labelled ``i`` by ``a`` and ``j`` by ``b``), ``d = n.sum(1) -
    n.sum(0)`` and the covariance estimate ``S[i, i] = n_i. + n_.i - 2 n_ii``,
    ``S[i, j] = -(n_ij + n_ji)``, the statistic ``d^T S^- d`` is chi-square
    distributed with ``rank(S)`` degrees of freedom.

    ``S`` is the Laplacian of the graph whose edge weights are the
    disagreement counts ``n_ij + n_ji``, so ``rank(S) = k - #components``
    and ``d`` always lies in its range. In the regular case (one connected
    component) this is the textbook test with ``k - 1`` degrees of freedom
    (one category dropped). In the singular case — a category nobody uses,
    a category on which both always agree, or groups of categories that
    are only confused among themselves — every connected component is
    tested on its own (one category of each dropped) and the statistics and
    degrees of freedom add up; this equals using the Moore–Penrose inverse
    of ``S`` with ``dof = rank(S)``.

    Args:
        labels_a (Sequence[int] | np.ndarray | torch.Tensor): Labels of
            rater ``a``, shape (N, ).
        labels_b (Sequence[int] | np.ndarray | torch.Tensor): Labels of
            rater ``b`` for the same samples, shape (N, ).
        num_classes (int): Number of categories ``k``.

    Returns:
        StuartMaxwellResult: ``(statistic, dof, p_value)``.
    """
    if num_classes < 2:
        raise ValueError(f'num_classes must be >= 2, got {num_classes}.')
    a = _to_labels(labels_a, num_classes, 'labels_a')
    b = _to_labels(labels_b, num_classes, 'labels_b')
    if a.shape != b.shape:
        raise ValueError('labels_a and labels_b must be paired, got '
                         f'{a.size} and {b.size} labels.')

    table = np.bincount(
        a * num_classes + b,
        minlength=num_classes**2).reshape(num_classes,
                                          num_classes).astype(np.float64)
    diff = table.sum(1) - table.sum(0)
    disagreement = table + table.T
    np.fill_diagonal(disagreement, 0)
    cov = np.diag(disagreement.sum(1)) - disagreement

    statistic, dof = 0.0, 0
    _, component_of = connected_components(disagreement > 0, directed=False)
    for component in np.unique(component_of):
        members = np.flatnonzero(component_of == component)
        if len(members) < 2:
            continue
        kept = members[:-1]
        sub_cov = cov[np.ix_(kept, kept)]
        statistic += float(diff[kept] @ np.linalg.solve(sub_cov, diff[kept]))
        dof += len(kept)
    p_value = float(chi2.sf(statistic, dof)) if dof > 0 else 1.0
    return StuartMaxwellResult(statistic, dof, p_value)

