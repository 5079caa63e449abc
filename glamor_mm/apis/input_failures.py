"""Skip the inputs of a batch run that fail, without hiding a broken setup.

:class:`GlamorInferencer` on a folder, ``demo/image_demo.py``,
``tools/detect_faces.py`` and ``tools/detect_face_tracks.py`` go on past a
picture (or video) that cannot be read or processed: it is skipped, named
with its reason in a report, and the commands end with
:data:`EXIT_INPUTS_FAILED` after writing the results of the others (their
command-line side is ``tools/input_failures_cli.py``). An error
that is not the input's does not become one skip per input:

- running out of memory (:data:`NOT_INPUT_ERRORS`) is raised at once;
- ``max_consecutive`` failures in a row stop the run with
  :class:`TooManyFailuresError` (a misconfigured detector or model fails on
  every input).
"""
from typing import List, Optional, Sequence, Tuple, Union

import torch

#: Exit status of a command that finished and wrote its results but skipped
#: inputs (1: an error stopped it; 2: a command-line usage error).
EXIT_INPUTS_FAILED = 3

#: Failures in a row that stop a run, unless told otherwise.
DEFAULT_MAX_CONSECUTIVE_FAILURES = 10

#: Errors that are never blamed on one input: they stop the run.
NOT_INPUT_ERRORS = (MemoryError, torch.OutOfMemoryError)


class TooManyFailuresError(RuntimeError):
    """Raised when ``max_consecutive`` inputs in a row failed."""


def failure_reason(error: Exception) -> str:
    """Why an input failed, for its report entry.

    Args:
        error (Exception): The error raised while reading or processing it.

    Returns:
        str: ``'<ErrorType>: <message>'``.

    Raises:
        MemoryError | torch.OutOfMemoryError: ``error`` itself if it is one
            of :data:`NOT_INPUT_ERRORS`.
    """
    if isinstance(error, NOT_INPUT_ERRORS):
        raise error
    return f'{type(error).__name__}: {error}'


def failure_report(failed: Sequence[Tuple[str, str]],
                   kind: str,
                   total: Optional[int] = None) -> str:
    """A report naming every failed input and its reason.

    Args:
        failed (Sequence[tuple[str, str]]): ``(input name, reason)`` pairs.
        kind (str): What the inputs are (``'picture'``, ``'video'``).
        total (int, optional): Number of inputs of the run. Defaults to None.

    Returns:
        str: A header line and one line per failed input.
    """
    of = '' if total is None else f' of {total}'
    return f'{len(failed)}{of} {kind}(s) failed and were skipped:\n' + \
        _list_failures(failed)


def _list_failures(failed: Sequence[Tuple[str, str]]) -> str:
    """One ``'  name: reason'`` line per failed input."""
    return '\n'.join(f'  {name}: {reason}' for name, reason in failed)


class InputFailures:
    """The failed inputs of one run; stops it after too many in a row.

    Args:
        max_consecutive (int): Failures in a row that stop the run; 0 never
            stops. Defaults to :data:`DEFAULT_MAX_CONSECUTIVE_FAILURES`.
        kind (str): What the inputs are, for messages. Defaults to 'input'.

    Example:
        >>> failures = InputFailures(max_consecutive=2, kind='picture')
        >>> failures.add('a.png', OSError('a.png: empty file'))
        'OSError: a.png: empty file'
        >>> failures.succeeded()  # the count of failures in a row restarts
        >>> failures.failed
        [('a.png', 'OSError: a.png: empty file')]
    """

    def __init__(self,
                 max_consecutive: int = DEFAULT_MAX_CONSECUTIVE_FAILURES,
                 kind: str = 'input') -> None:
        if max_consecutive < 0:
            raise ValueError('max_consecutive must be >= 0 (0: never stop), '
                             f'got {max_consecutive}.')
        self.max_consecutive = max_consecutive
        self.kind = kind
        self.failed: List[Tuple[str, str]] = []
        self._in_a_row = 0

    def succeeded(self) -> None:
        """Note that an input went through."""
        self._in_a_row = 0

    def add(self, name: str, error: Union[str, Exception]) -> str:
        """Record a failed input.

        Args:
            name (str): The input (a path, or a description of an array).
            error (str | Exception): The error, or the reason already
                given by :func:`failure_reason` (e.g. in a worker process).

        Returns:
            str: The reason recorded.

        Raises:
            TooManyFailuresError: If this makes ``max_consecutive`` failures
                in a row (chained to ``error`` when it is an exception).
            MemoryError | torch.OutOfMemoryError: ``error`` itself if it is
                one of :data:`NOT_INPUT_ERRORS`.
        """
        reason = error if isinstance(error, str) else failure_reason(error)
        self.failed.append((name, reason))
        self._in_a_row += 1
        if self.max_consecutive and self._in_a_row >= self.max_consecutive:
            raise TooManyFailuresError(
                f'Stopped: {self._in_a_row} {self.kind}(s) in a row '
                'failed, which points to the setup (detector, model, '
                f'device, memory) rather than to the {self.kind}s. Fix it, '
                'or raise the limit (--max-consecutive-failures / '
                'max_consecutive_failures; 0 never stops):\n' +
                _list_failures(self.failed[-self._in_a_row:])) \
                from (None if isinstance(error, str) else error)
        return reason

    def report(self, total: Optional[int] = None) -> str:
        """The :func:`failure_report` of this run."""
        return failure_report(self.failed, self.kind, total)
