"""What the toy data generators share: splits, seeds and the best accuracy
of their tables of cues.

:func:`~glamor_mm.datasets.toy.caers.generate_toy_caers` (images) and
:func:`~glamor_mm.datasets.toy.caer_videos.generate_toy_caer_videos` write
``<split>/<Class>/<i:04d>.<ext>`` trees, one index file a split, sample
``i`` of class ``c`` in split ``s`` drawn from
``numpy.random.default_rng([seed, s, c, i])`` (``s``: the index of the split
among all splits of the data, so that leaving a split out or adding samples
changes none of the other files). Their tools in
``tools/dataset_converters`` share the number-per-class, seed and output
arguments (``tools/dataset_converters/toy_cli.py``). Each class of both is a combination of cues
(:func:`cue_table_best_accuracy`).
"""
import os
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence, TypeVar

import numpy as np

from ..categories import CAER_CLASSES

T = TypeVar('T')
# (label, stem, rng) -> the sample's record in the index
SampleWriter = Callable[[int, str, np.random.Generator], T]
# (split, records of its samples) -> None
IndexWriter = Callable[[str, List[T]], None]


def cue_table_best_accuracy(cues: Sequence[Sequence[int]],
                            cue_names: Sequence[str],
                            views: Sequence[str]) -> float:
    """Best achievable accuracy on balanced classes written by cues, from
    the cues an input shows.

    For each combination of the shown cues one of its classes is guessed
    right (Bayes, noise-free cues).

    Args:
        cues (Sequence[Sequence[int]]): Per class, the value of each cue.
        cue_names (Sequence[str]): The name of each cue, e.g.
            ``('face', 'context')``.
        views (Sequence[str]): The shown cues, some of ``cue_names``; empty
            means chance.

    Returns:
        float: The Bayes accuracy, e.g. 4/7 when 4 of 7 classes have
        distinct shown cues.

    Raises:
        ValueError: ``views`` names a cue not in ``cue_names``.
    """
    unknown = set(views) - set(cue_names)
    if unknown:
        raise ValueError(f'Unknown cue(s) {sorted(unknown)}; expected some '
                         f'of {tuple(cue_names)}.')
    keys = {
        tuple(cue[i] for i, name in enumerate(cue_names) if name in views)
        for cue in cues
    }
    return len(keys) / len(cues)


def write_toy_splits(out_dir: str, splits: Sequence[str],
                     num_per_class: Optional[Dict[str, int]],
                     default_num_per_class: Dict[str, int], seed: int,
                     write_sample: SampleWriter[T],
                     write_index: IndexWriter[T]) -> Dict[str, int]:
    """Write every sample of the requested splits, then each split's index.

    Args:
        out_dir (str): Output folder (created if needed, with a folder per
            split and class).
        splits (Sequence[str]): All splits of the data, in order (their
            index is part of every sample's seed).
        num_per_class (dict[str, int], optional): Samples per class of each
            split to write; splits left out are not written. None: the
            defaults.
        default_num_per_class (dict[str, int]): The default of
            ``num_per_class``.
        seed (int): Seed of the whole dataset.
        write_sample (SampleWriter): Draws
            and writes one sample from ``(label, stem, rng)``: ``stem`` is
            its path relative to ``out_dir`` without the extension
            (``'train/Anger/0000'``). Returns its record for the index.
        write_index (IndexWriter): Writes the index of a
            split from ``(split, records)``, after its samples.

    Returns:
        dict[str, int]: Number of samples written per split.

    Raises:
        ValueError: ``num_per_class`` names a split not in ``splits``.
    """
    num_per_class = dict(default_num_per_class if num_per_class is
                         None else num_per_class)
    unknown = set(num_per_class) - set(splits)
    if unknown:
        raise ValueError(f'Unknown split(s) {sorted(unknown)}; the toy data '
                         f'has {tuple(splits)}.')
    counts = {}
    for split_idx, split in enumerate(splits):
        if split not in num_per_class:
            continue
        records = []
        for label, name in enumerate(CAER_CLASSES):
            os.makedirs(osp.join(out_dir, split, name), exist_ok=True)
            for i in range(num_per_class[split]):
                rng = np.random.default_rng([seed, split_idx, label, i])
                records.append(
                    write_sample(label, f'{split}/{name}/{i:04d}', rng))
        write_index(split, records)
        counts[split] = len(records)
    return counts
