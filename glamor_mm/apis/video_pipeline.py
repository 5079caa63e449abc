"""Run a video through decode -> process -> encode stages in threads."""
import os
import queue
import sys
import threading
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Optional, TextIO

import numpy as np

_END = object()


class StageTimer:
    """Wall time spent in named stages, summed over the frames.

    Each stage is timed by the thread that runs it, so the stages of a
    threaded pipeline overlap: their sum can exceed the elapsed time.
    """

    def __init__(self) -> None:
        self.seconds = defaultdict(float)

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        """Time the body of a ``with timer('stage'):`` block."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] += time.perf_counter() - start

    def table(self, frames: int, stages: Iterable[str]) -> str:
        """A Markdown table: ms per frame and share of each stage.

        Args:
            frames (int): Frames processed.
            stages (Iterable[str]): Stages in the order of the rows (those
                never timed are left out).

        Returns:
            str: The table, one row per stage and a total row.
        """
        stages = [s for s in stages if s in self.seconds]
        total = sum(self.seconds[s] for s in stages) or 1.
        rows = ['| stage | ms/frame | share |', '| --- | ---: | ---: |']
        for stage in stages:
            rows.append(f'| {stage} | '
                        f'{1000 * self.seconds[stage] / max(frames, 1):.2f} '
                        f'| {100 * self.seconds[stage] / total:.1f} % |')
        rows.append(f'| sum | {1000 * total / max(frames, 1):.2f} | |')
        return '\n'.join(rows)


def has_display() -> bool:
    """Whether ``cv2.imshow`` can open a window (on Linux: an X11 or Wayland
    display is set, e.g. by ``xvfb-run``; other systems always have one)."""
    return not sys.platform.startswith('linux') or bool(
        os.environ.get('DISPLAY') or os.environ.get('WAYLAND_DISPLAY'))


@dataclass
class PipelineStats:
    """What a :func:`run_video_pipeline` call did.

    Attributes:
        frames (int): Frames processed and written.
        dropped (int): Frames dropped (``realtime`` only).
        seconds (float): Elapsed time from the first read to the last
            write.
    """
    frames: int
    dropped: int
    seconds: float


def summary_line(stats: PipelineStats) -> str:
    """``'N frames in S s (F fps)'``, plus the dropped frames if any."""
    fps = stats.frames / stats.seconds if stats.seconds > 0 else 0.
    line = f'{stats.frames} frames in {stats.seconds:.1f} s ({fps:.1f} fps)'
    if stats.dropped:
        line += f', {stats.dropped} dropped'
    return line


class ProgressReporter:
    """A console progress line for a video (a bar) or a camera (fps).

    Args:
        total (int, optional): Frames expected (a file); None for a camera.
        stream (TextIO): Where to write. Defaults to ``sys.stderr``.
        interval (float): Seconds between two redraws. Defaults to 0.5.
    """

    def __init__(self,
                 total: Optional[int] = None,
                 stream: TextIO = sys.stderr,
                 interval: float = 0.5) -> None:
        self.total = total if total and total > 0 else None
        self.stream = stream
        self.interval = interval
        self.start = time.perf_counter()
        self._last = -interval

    def update(self, frames: int, dropped: int = 0) -> None:
        """Redraw the line (at most every ``interval`` seconds)."""
        now = time.perf_counter() - self.start
        if now - self._last < self.interval:
            return
        self._last = now
        fps = frames / now if now > 0 else 0.
        if self.total is None:
            text = f'{frames} frames, {fps:.1f} fps'
        else:
            done = min(frames / self.total, 1.)
            bar = '#' * int(30 * done)
            eta = (self.total - frames) / fps if fps > 0 else 0.
            text = (f'[{bar:<30}] {frames}/{self.total} frames, '
                    f'{fps:.1f} fps, ETA {eta:.0f} s')
        if dropped:
            text += f', {dropped} dropped'
        self.stream.write('\r' + text)
        self.stream.flush()

    def close(self) -> None:
        """End the progress line."""
        if self._last >= 0:
            self.stream.write('\n')
            self.stream.flush()


def _put(q: queue.Queue, item, stop: threading.Event) -> bool:
    """Put into a bounded queue unless the pipeline stops first."""
    while not stop.is_set():
        try:
            q.put(item, timeout=0.05)
            return True
        except queue.Full:
            continue
    return False


def run_video_pipeline(
        frames: Iterable[np.ndarray],
        process: Callable[[np.ndarray, int], Optional[np.ndarray]],
        write: Optional[Callable[[np.ndarray], None]] = None,
        realtime: bool = False,
        queue_size: int = 4,
        timer: Optional[StageTimer] = None,
        progress: Optional[ProgressReporter] = None) -> PipelineStats:
    """Decode, process and encode a video in three overlapping stages.

    Frames are decoded by a reader thread, processed (detection,
    classification, drawing) by the calling thread, and written by a writer
    thread; OpenCV's decoding and encoding release the GIL, so the stages
    use two cores. The queues between the stages hold ``queue_size`` frames
    each, so memory stays bounded when one stage is slower.

    Every frame is processed and written, in order. With ``realtime``
    (a live camera) the reader never waits: when the processing falls
    behind, the oldest waiting frame is dropped, and counted; the frames
    that are processed keep their order.

    Args:
        frames (Iterable[np.ndarray]): The decoded frames (e.g.
            :func:`read_video_frames`); iterated in the reader thread.
        process (Callable): ``(frame, index) -> drawing``, the video
            frame index counting dropped frames; None stops the pipeline
            (e.g. the user pressed 'q') after the frames already processed.
        write (Callable, optional): Takes each drawing, in order (e.g.
            :meth:`VideoFileWriter.write`). Defaults to None.
        realtime (bool): Drop frames rather than fall behind. Defaults to
            False.
        queue_size (int): Frames held between two stages. Defaults to 4.
        timer (StageTimer, optional): Adds the ``decode`` and ``encode``
            stages. Defaults to None.
        progress (ProgressReporter, optional): Updated after each frame.
            Defaults to None.

    Returns:
        PipelineStats: Frames written, frames dropped, elapsed seconds.

    Raises:
        Exception: The first error of any stage (the reader's, e.g. a video
            of which nothing decodes, or the writer's), after the threads
            have stopped.
    """
    timer = timer or StageTimer()
    decoded: queue.Queue = queue.Queue(queue_size)
    drawn: queue.Queue = queue.Queue(queue_size)
    stop = threading.Event()
    errors = []
    dropped = 0

    def read() -> None:
        nonlocal dropped
        try:
            iterator = iter(frames)
            index = 0
            while not stop.is_set():
                with timer('decode'):
                    frame = next(iterator, _END)
                if frame is _END:
                    break
                if realtime:
                    while True:
                        try:
                            decoded.put_nowait((index, frame))
                            break
                        except queue.Full:
                            try:
                                decoded.get_nowait()
                                dropped += 1
                            except queue.Empty:
                                pass
                elif not _put(decoded, (index, frame), stop):
                    break
                index += 1
        except BaseException as e:  # re-raised by the calling thread
            errors.append(e)
        finally:
            _put(decoded, _END, stop)

    def encode() -> None:
        try:
            while True:
                drawing = drawn.get()
                if drawing is _END:
                    break
                if write is not None:
                    with timer('encode'):
                        write(drawing)
        except BaseException as e:
            errors.append(e)
            stop.set()

    start = time.perf_counter()
    reader = threading.Thread(target=read, name='decode', daemon=True)
    writer = threading.Thread(target=encode, name='encode', daemon=True)
    reader.start()
    writer.start()
    count = 0
    try:
        while not stop.is_set():
            try:
                item = decoded.get(timeout=0.05)
            except queue.Empty:
                continue
            if item is _END:
                break
            drawing = process(item[1], item[0])
            if drawing is None:
                break
            if not _put(drawn, drawing, stop):
                break
            count += 1
            if progress is not None:
                progress.update(count, dropped)
    finally:
        stop.set()  # the reader stops at its next frame
        while reader.is_alive():
            try:  # unblock a reader waiting for room
                decoded.get(timeout=0.05)
            except queue.Empty:
                pass
        reader.join()
        while writer.is_alive():  # the writer finishes the queued frames
            try:
                drawn.put(_END, timeout=0.05)
                break
            except queue.Full:
                continue
        writer.join()
        if progress is not None:
            progress.close()
    if errors:
        raise errors[0]
    return PipelineStats(count, dropped, time.perf_counter() - start)
