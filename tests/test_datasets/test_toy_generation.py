"""The frame shared by the toy generators: folders, per-sample seeds and
index files."""
import os

import numpy as np
import pytest

from glamor_mm.datasets import CAER_CLASSES
from glamor_mm.datasets.toy.caers import toy_best_accuracy
from glamor_mm.datasets.toy.generation import (cue_table_best_accuracy,
                                               write_toy_splits)

SPLITS = ('train', 'val', 'test')


def _write(tmp_path, num_per_class, seed=3):
    samples, indexes = [], {}

    def write_sample(label, stem, rng):
        samples.append(stem)
        return (label, stem, int(rng.integers(1 << 30)))

    counts = write_toy_splits(
        str(tmp_path), SPLITS, num_per_class, dict(train=2, val=1), seed,
        write_sample, lambda split, records: indexes.update({split: records}))
    return counts, samples, indexes


def test_write_toy_splits_order_seeds_and_folders(tmp_path):
    counts, samples, indexes = _write(tmp_path, dict(test=2, train=1))
    assert counts == dict(train=7, test=14)  # in the order of SPLITS
    assert list(indexes) == ['train', 'test']
    assert samples[:3] == [
        'train/Anger/0000', 'train/Disgust/0000', 'train/Fear/0000'
    ]
    assert samples[7:9] == ['test/Anger/0000', 'test/Anger/0001']
    # sample i of class c in split s: default_rng([seed, s, c, i]), s the
    # index among all splits (test is 2 although val is left out)
    label, stem, draw = indexes['test'][3]
    assert (label, stem) == (1, 'test/Disgust/0001')
    assert draw == np.random.default_rng([3, 2, 1, 1]).integers(1 << 30)
    assert sorted(os.listdir(tmp_path)) == ['test', 'train']
    assert sorted(os.listdir(tmp_path / 'test')) == sorted(CAER_CLASSES)


def test_write_toy_splits_defaults_and_unknown_split(tmp_path):
    counts, _, _ = _write(tmp_path, None)
    assert counts == dict(train=14, val=7)
    with pytest.raises(ValueError, match=r"Unknown split\(s\) \['training'\]"):
        _write(tmp_path, dict(training=1))


def test_cue_table_best_accuracy():
    # 4 classes; a and b tell 3 and 2 of them apart, together all 4
    cues = ((0, 0), (0, 1), (1, 1), (2, 1))
    assert cue_table_best_accuracy(cues, ('a', 'b'), ('a', 'b')) == 1.
    assert cue_table_best_accuracy(cues, ('a', 'b'), ('a', )) == 3 / 4
    assert cue_table_best_accuracy(cues, ('a', 'b'), ('b', )) == 2 / 4
    assert cue_table_best_accuracy(cues, ('a', 'b'), ()) == 1 / 4
    with pytest.raises(ValueError, match=r"Unknown cue\(s\) \['motion'\]"):
        cue_table_best_accuracy(cues, ('a', 'b'), ('a', 'motion'))
    with pytest.raises(ValueError, match='Unknown cue'):
        toy_best_accuracy(('marks', ))  # a cue of the guided mode only
