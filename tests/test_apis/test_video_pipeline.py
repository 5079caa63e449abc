"""The threaded video pipeline: order, no drop (or counted drops in real
time), stopping, errors, and the console summary."""
import io
import itertools
import random
import time

import numpy as np
import pytest

from glamor_mm.apis import (PipelineStats, ProgressReporter, StageTimer,
                            has_display, run_video_pipeline, summary_line)


def numbered(n, produced=None):
    for i in itertools.count() if n is None else range(n):
        if produced is not None:
            produced.append(i)
        yield np.full((2, 2), i, np.int64)


def test_every_frame_in_order_with_bounded_queues():
    rng = random.Random(0)
    produced, processed, written = [], [], []

    def process(frame, index):
        assert int(frame[0, 0]) == index
        # the reader never runs more than the two queues (+ one frame in
        # each thread) ahead of the processing
        assert len(produced) - len(processed) <= 2 * 3 + 3
        processed.append(index)
        time.sleep(rng.random() * 0.002)
        return frame * 10

    def write(drawing):
        time.sleep(rng.random() * 0.002)
        written.append(int(drawing[0, 0]) // 10)

    timer = StageTimer()
    stats = run_video_pipeline(
        numbered(60, produced), process, write, queue_size=3, timer=timer)
    assert written == list(range(60)) and processed == list(range(60))
    assert (stats.frames, stats.dropped) == (60, 0)
    assert set(timer.seconds) == {'decode', 'encode'}


def test_realtime_drops_the_oldest_frames_and_counts_them():
    written = []

    def process(frame, index):
        time.sleep(0.005)
        return frame

    stats = run_video_pipeline(
        numbered(200),
        process,
        lambda d: written.append(int(d[0, 0])),
        realtime=True,
        queue_size=2)
    assert stats.dropped > 0
    assert stats.frames + stats.dropped == 200 == len(written) + stats.dropped
    assert written == sorted(written) and len(set(written)) == len(written)
    assert written[-1] == 199  # the newest frame is never dropped


def test_stop_and_errors():
    # process() returning None stops an endless stream (a camera)
    written = []
    stats = run_video_pipeline(
        numbered(None), lambda f, i: None
        if i == 5 else f, lambda d: written.append(int(d[0, 0])))
    assert stats.frames == 5 and written == [0, 1, 2, 3, 4]

    def broken():
        yield from numbered(3)
        raise OSError('clip.avi: nothing more decodes')

    written.clear()
    with pytest.raises(OSError, match='clip.avi'):
        run_video_pipeline(broken(), lambda f, i: f,
                           lambda d: written.append(int(d[0, 0])))
    assert written == [0, 1, 2]  # the frames before the error are written

    def full_disk(drawing):
        raise OSError('disk full')

    with pytest.raises(OSError, match='disk full'):
        run_video_pipeline(numbered(None), lambda f, i: f, full_disk)


def test_summary_line_and_progress():
    assert summary_line(PipelineStats(300, 0, 10.)) == \
        '300 frames in 10.0 s (30.0 fps)'
    assert summary_line(PipelineStats(250, 50, 10.)) == \
        '250 frames in 10.0 s (25.0 fps), 50 dropped'
    stream = io.StringIO()
    progress = ProgressReporter(300, stream, interval=0)
    progress.update(150)
    progress.close()
    line = stream.getvalue()
    assert line.startswith('\r[' + '#' * 15 + ' ' * 15 + '] 150/300 frames')
    assert 'fps, ETA' in line and line.endswith('\n')
    stream = io.StringIO()
    camera = ProgressReporter(None, stream, interval=0)
    camera.update(42, dropped=3)
    assert stream.getvalue().startswith('\r42 frames, ')
    assert stream.getvalue().endswith('fps, 3 dropped')


def test_stage_table():
    timer = StageTimer()
    timer.seconds.update(decode=0.1, detect=0.3)
    table = timer.table(100, ['decode', 'detect', 'encode'])
    assert table.splitlines()[2:] == [
        '| decode | 1.00 | 25.0 % |', '| detect | 3.00 | 75.0 % |',
        '| sum | 4.00 | |'
    ]


def test_has_display(monkeypatch):
    monkeypatch.setattr('sys.platform', 'linux')
    monkeypatch.delenv('DISPLAY', raising=False)
    monkeypatch.delenv('WAYLAND_DISPLAY', raising=False)
    assert not has_display()
    monkeypatch.setenv('DISPLAY', ':99')  # as xvfb-run sets it
    assert has_display()
    monkeypatch.delenv('DISPLAY')
    monkeypatch.setattr('sys.platform', 'win32')
    assert has_display()
