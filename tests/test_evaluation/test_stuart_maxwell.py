import math

import numpy as np
import pytest
import torch

from glamor_mm.evaluation import chi2_sf, stuart_maxwell


def labels_from_table(table):
    """Paired label arrays whose cross table is ``table``."""
    a, b = [], []
    for i, row in enumerate(table):
        for j, count in enumerate(row):
            a += [i] * count
            b += [j] * count
    return np.array(a), np.array(b)


def test_hand_computed_3x3():
    # n = [[10, 2, 3], [4, 12, 1], [1, 5, 8]]
    # rows (15, 17, 14), cols (15, 19, 12) -> d = (0, -2, 2)
    # S11 = 15 + 15 - 20 = 10, S22 = 17 + 19 - 24 = 12, S12 = -(2 + 4) = -6
    # drop category 3: S^-1 = [[12, 6], [6, 10]] / 84
    # chi2 = (0, -2) S^-1 (0, -2)^T = 4 * 10 / 84 = 10 / 21, dof 2
    # p = exp(-chi2 / 2) for 2 dof
    a, b = labels_from_table([[10, 2, 3], [4, 12, 1], [1, 5, 8]])
    result = stuart_maxwell(a, b, num_classes=3)
    assert result.statistic == pytest.approx(10 / 21)
    assert result.dof == 2
    assert result.p_value == pytest.approx(math.exp(-5 / 21))
    # The test is symmetric in the two raters.
    swapped = stuart_maxwell(b, a, num_classes=3)
    assert swapped.statistic == pytest.approx(result.statistic)


def test_unused_category_is_dropped():
    # Category 0 is used by nobody: its row and column of S are zero, the
    # naive "drop the last category" inverse would be singular.
    # Remaining 2x2 table [[5, 3], [1, 6]]: d = (8 - 6) = 2,
    # S = 8 + 6 - 10 = 4, chi2 = 4 / 4 = 1 with 1 dof.
    a, b = labels_from_table([[0, 0, 0], [0, 5, 3], [0, 1, 6]])
    result = stuart_maxwell(a, b, num_classes=3)
    assert result.statistic == pytest.approx(1.0)
    assert result.dof == 1
    # chi2(1) survival: erfc(sqrt(x / 2))
    assert result.p_value == pytest.approx(math.erfc(math.sqrt(0.5)))


def test_disconnected_categories_add_up():
    # {0, 1} and {2, 3} are never confused with each other.
    # block 1: d0 = 5 - 3 = 2, S00 = 5 + 3 - 6 = 2 -> 2
    # block 2: d2 = 5 - 7 = -2, S22 = 5 + 7 - 8 = 4 -> 1
    table = [[3, 2, 0, 0], [0, 3, 0, 0], [0, 0, 4, 1], [0, 0, 3, 4]]
    result = stuart_maxwell(*labels_from_table(table), num_classes=4)
    assert result.statistic == pytest.approx(3.0)
    assert result.dof == 2
    assert result.p_value == pytest.approx(math.exp(-1.5))


def test_perfect_agreement():
    labels = torch.tensor([0, 1, 2, 2, 1])
    result = stuart_maxwell(labels, labels, num_classes=4)
    assert result == (0.0, 0, 1.0)


def _textbook(table):
    """Independent implementation: drop the last category and invert."""
    n = np.asarray(table, dtype=np.float64)
    d = n.sum(1) - n.sum(0)
    s = -(n + n.T)
    np.fill_diagonal(s, n.sum(1) + n.sum(0) - 2 * np.diag(n))
    k = n.shape[0]
    return d[:-1] @ np.linalg.inv(s[:-1, :-1]) @ d[:-1], k - 1


def _pinv(table):
    """Independent implementation: Moore-Penrose inverse, rank dof."""
    n = np.asarray(table, dtype=np.float64)
    d = n.sum(1) - n.sum(0)
    s = -(n + n.T)
    np.fill_diagonal(s, n.sum(1) + n.sum(0) - 2 * np.diag(n))
    return d @ np.linalg.pinv(s) @ d, np.linalg.matrix_rank(s)


@pytest.mark.parametrize('seed', range(5))
def test_matches_independent_implementations(seed):
    rng = np.random.default_rng(seed)
    regular = rng.integers(1, 30, size=(7, 7))
    result = stuart_maxwell(*labels_from_table(regular), num_classes=7)
    statistic, dof = _textbook(regular)
    assert result.statistic == pytest.approx(statistic)
    assert result.dof == dof

    singular = regular.copy()
    singular[2, :] = singular[:, 2] = 0  # class 2 never used
    singular[5, [0, 1, 3, 4, 6]] = singular[[0, 1, 3, 4, 6], 5] = 0
    result = stuart_maxwell(*labels_from_table(singular), num_classes=7)
    statistic, dof = _pinv(singular)
    assert result.dof == dof == 4  # components {2}, {5}, the rest
    assert result.statistic == pytest.approx(statistic)


def test_chi2_sf_closed_forms():
    # dof 2: exp(-x/2); dof 1: erfc(sqrt(x/2)); tiny tails stay accurate.
    for x in (0.1, 3.0, 250.0):
        assert chi2_sf(x, 2) == pytest.approx(math.exp(-x / 2), rel=1e-9)
        assert chi2_sf(x, 1) == pytest.approx(
            math.erfc(math.sqrt(x / 2)), rel=1e-9)


def test_chi2_sf_matches_scipy():
    from scipy import stats
    for x, dof in [(0.5, 6), (12.6, 6), (300.0, 6), (2.0, 3)]:
        assert chi2_sf(x, dof) == pytest.approx(
            stats.chi2.sf(x, dof), rel=1e-9)


def test_invalid_input():
    with pytest.raises(ValueError, match='outside'):
        stuart_maxwell([0, 7], [0, 1], num_classes=7)
    with pytest.raises(ValueError, match='paired'):
        stuart_maxwell([0, 1, 2], [0, 1], num_classes=3)
    with pytest.raises(ValueError, match='integer'):
        stuart_maxwell([0.5, 1.0], [0, 1], num_classes=3)
