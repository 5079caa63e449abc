"""What the benchmark tools share: interleaved rounds and throughput.

The tools in ``tools/analysis_tools`` compare variants (backends, data
pipelines, training-step options, decoders) on a shared machine. They run
the variants round-robin, one measurement each per round, so that a busy
machine slows them alike; they report the median of the rounds with every
round's value as the spread, and the load average around the rounds (their
command-line options and tables: ``tools/analysis_tools/analysis_cli.py``).
"""
import os
import statistics
import time
from dataclasses import dataclass
from typing import (Callable, Dict, Generic, Hashable, List, Mapping, Optional,
                    Sequence, TypeVar)

K = TypeVar('K', bound=Hashable)
T = TypeVar('T')


@dataclass
class RoundsResult(Generic[K, T]):
    """What :func:`interleaved_rounds` measured.

    Args:
        results (dict): Per variant (in the order of the measures), its
            results, one per round, in the order of the rounds.
        load_before (float): The 1-minute load average before the rounds.
        load_after (float): The 1-minute load average after the rounds.
    """
    results: Dict[K, List[T]]
    load_before: float
    load_after: float

    @property
    def load(self) -> str:
        """str: E.g. ``'load average 1.2 -> 1.5'``."""
        return (f'load average {self.load_before:.1f} -> '
                f'{self.load_after:.1f}')


def interleaved_rounds(measures: Mapping[K, Callable[[], T]],
                       rounds: int) -> RoundsResult[K, T]:
    """Call every measure once per round, round after round.

    Round ``r`` calls the measures in their order, after every measure has
    been called ``r - 1`` times: ``a, b, c, a, b, c, ...``.

    Args:
        measures (Mapping[K, Callable[[], T]]): Per variant, a function
            that measures it once (e.g. returns its throughput).
        rounds (int): How many rounds, at least 1.

    Returns:
        RoundsResult[K, T]: The results of every measure and the load
        average before and after the rounds.

    Raises:
        ValueError: ``rounds`` is below 1.
    """
    if rounds < 1:
        raise ValueError(f'rounds must be at least 1, got {rounds}.')
    load_before = os.getloadavg()[0]
    results: Dict[K, List[T]] = {name: [] for name in measures}
    for _ in range(rounds):
        for name, measure in measures.items():
            results[name].append(measure())
    return RoundsResult(results, load_before, os.getloadavg()[0])


def medians(results: Mapping[K, Sequence[float]]) -> Dict[K, float]:
    """The median of the rounds of every variant, in the same order.

    Args:
        results (Mapping[K, Sequence[float]]): Per variant, one value per
            round (``RoundsResult.results`` of float results).

    Returns:
        dict[K, float]: Per variant, the median of its values.
    """
    return {
        name: statistics.median(values)
        for name, values in results.items()
    }


def throughput(run: Callable[[], object],
               items_per_call: int,
               min_calls: int = 1,
               min_seconds: float = 0.,
               warmup_calls: int = 0,
               synchronize: Optional[Callable[[], None]] = None,
               clock: Callable[[], float] = time.perf_counter) -> float:
    """Items per second of repeated calls of ``run``.

    After ``warmup_calls`` untimed calls, ``run`` is called at least
    ``min_calls`` times and until ``min_seconds`` have passed. The clock is
    read once before the timed calls and, after ``synchronize`` (e.g.
    ``torch.cuda.synchronize``), after each timed call from the
    ``min_calls``-th on.

    Args:
        run (Callable[[], object]): Processes ``items_per_call`` items
            (e.g. images of one batch); its result is ignored.
        items_per_call (int): Items one call processes.
        min_calls (int): Timed calls at least, at least 1. Defaults to 1.
        min_seconds (float): Seconds of timed calls at least. Defaults to 0.
        warmup_calls (int): Untimed calls first. Defaults to 0.
        synchronize (Callable[[], None], optional): Waits for the work of
            the calls to finish before the clock is read. Defaults to None.
        clock (Callable[[], float]): Seconds. Defaults to
            ``time.perf_counter``.

    Returns:
        float: ``calls * items_per_call / seconds`` of the timed calls.

    Raises:
        ValueError: ``min_calls`` is below 1.
    """
    if min_calls < 1:
        raise ValueError(f'min_calls must be at least 1, got {min_calls}.')
    for _ in range(warmup_calls):
        run()
    calls, start = 0, clock()
    while True:
        run()
        calls += 1
        if calls < min_calls:
            continue
        if synchronize is not None:
            synchronize()
        elapsed = clock() - start
        if elapsed >= min_seconds:
            return calls * items_per_call / elapsed


def matmul_gflops(size: int = 1024, min_seconds: float = 0.5) -> float:
    """GFLOP/s of a float32 matrix product, the cores' practical FP32 peak.

    Times ``torch.mm`` of two ``size`` x ``size`` float32 matrices
    (2 * size**3 FLOPs: one multiply and one add per multiply-add) with the
    process's ``torch.set_num_threads``: the fastest FP32 kernel the
    machine has (MKL or oneDNN SGEMM on AVX-512/AVX2 FMA units), a
    measured stand-in for the cores' nominal peak (which needs the clock
    and FMA units, not visible from inside a virtual machine).

    Args:
        size (int): Side of the matrices. Defaults to 1024.
        min_seconds (float): Time spent measuring. Defaults to 0.5.

    Returns:
        float: GFLOP/s.
    """
    import torch
    gen = torch.Generator().manual_seed(0)
    a, b = (torch.randn(size, size, generator=gen) for _ in range(2))
    products = throughput(
        lambda: torch.mm(a, b),
        1,
        min_calls=2,
        min_seconds=min_seconds,
        warmup_calls=1)
    return products * 2 * size**3 / 1e9
