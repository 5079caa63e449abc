"""The benchmark helpers: interleaving order, throughput on a fake clock and
medians."""
import os
import re
from typing import List

import pytest

from glamor_mm.utils import interleaved_rounds, medians, throughput


class FakeClock:
    """A clock that advances by ``step`` seconds whenever ``tick`` runs."""

    def __init__(self, step: float) -> None:
        self.now, self.step, self.reads = 100., step, 0

    def __call__(self) -> float:
        self.reads += 1
        return self.now

    def tick(self) -> None:
        self.now += self.step


def test_interleaved_rounds_order_results_and_load():
    calls: List[str] = []

    def measure(name: str):
        return lambda: calls.append(name) or len(calls)

    load_low = os.getloadavg()[0]
    rounds = interleaved_rounds({k: measure(k) for k in 'bac'}, rounds=3)
    load_high = os.getloadavg()[0]
    assert calls == list('bacbacbac')
    assert list(rounds.results) == list('bac')  # the order of the measures
    assert rounds.results == dict(b=[1, 4, 7], a=[2, 5, 8], c=[3, 6, 9])
    assert medians(rounds.results) == dict(b=4, a=5, c=6)
    # the 1-minute load average, read before and after the rounds (the
    # kernel updates it every 5 seconds)
    assert {rounds.load_before, rounds.load_after} <= {load_low, load_high}
    assert rounds.load == (f'load average {rounds.load_before:.1f} -> '
                           f'{rounds.load_after:.1f}')
    assert re.fullmatch(r'load average \d+\.\d -> \d+\.\d', rounds.load)


def test_interleaved_rounds_any_keys_and_results():
    rounds = interleaved_rounds(
        {
            ('x', 'train'): lambda: (1., 2.),
            ('x', 'test'): lambda: (3., 4.)
        },
        rounds=2)
    assert rounds.results == {
        ('x', 'train'): [(1., 2.), (1., 2.)],
        ('x', 'test'): [(3., 4.), (3., 4.)]
    }
    with pytest.raises(ValueError, match='rounds must be at least 1, got 0'):
        interleaved_rounds({'a': lambda: 1.}, rounds=0)


def test_medians_of_even_and_odd_rounds():
    assert medians({
        'a': [3., 1., 2.],
        'b': [10., 40., 20., 30.]
    }) == {
        'a': 2.,
        'b': 25.
    }


def test_throughput_counts_timed_calls_only():
    clock = FakeClock(step=0.5)
    # 3 timed calls of 8 items, half a second each: 24 / 1.5 = 16 items/s;
    # the 2 warm-up calls also advance the clock, before the start is read
    rate = throughput(clock.tick, 8, min_calls=3, warmup_calls=2, clock=clock)
    assert rate == pytest.approx(16.)
    assert clock.now == pytest.approx(102.5)
    assert clock.reads == 2  # start, then once min_calls calls are done


def test_throughput_runs_until_min_seconds():
    clock = FakeClock(step=0.3)
    synced: List[float] = []
    # 4 calls (1.2 s) to reach 1 second; the clock is read after each call
    rate = throughput(
        clock.tick,
        2,
        min_seconds=1.,
        synchronize=lambda: synced.append(clock.now),
        clock=clock)
    assert rate == pytest.approx(4 * 2 / 1.2)
    # synchronized before every reading of the clock after the start
    assert synced == pytest.approx([100.3, 100.6, 100.9, 101.2])
    assert clock.reads == 5


def test_throughput_needs_a_timed_call():
    with pytest.raises(ValueError, match='min_calls must be at least 1'):
        throughput(lambda: None, 1, min_calls=0)
