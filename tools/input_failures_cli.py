"""Command-line side of skipping failed inputs (see
:mod:`glamor_mm.apis.input_failures`).

``demo/image_demo.py``, ``tools/detect_faces.py`` and
``tools/detect_face_tracks.py`` take ``--max-consecutive-failures`` and end
with :data:`~glamor_mm.apis.input_failures.EXIT_INPUTS_FAILED` when inputs
were skipped. A module beside the tools, not in ``glamor_mm``: running
``python tools/<tool>.py`` puts ``tools/`` first on ``sys.path``.
"""
import argparse
import sys
from typing import Optional, Sequence, Tuple

from glamor_mm.apis.input_failures import (DEFAULT_MAX_CONSECUTIVE_FAILURES,
                                           EXIT_INPUTS_FAILED, failure_report)


def add_failure_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--max-consecutive-failures`` to a command's parser.

    Args:
        parser (argparse.ArgumentParser): The command's parser.
    """
    parser.add_argument(
        '--max-consecutive-failures',
        type=int,
        default=DEFAULT_MAX_CONSECUTIVE_FAILURES,
        help='stop when this many inputs in a row fail (a broken detector, '
        'model or device fails on all of them); 0: never stop. Inputs '
        'that fail are skipped, listed with their reason, and the command '
        f'exits with status {EXIT_INPUTS_FAILED} after writing the results '
        'of the others')


def exit_if_failed(failed: Sequence[Tuple[str, str]],
                   kind: str,
                   total: Optional[int] = None) -> None:
    """End a command with :data:`EXIT_INPUTS_FAILED` if any input failed.

    The :func:`failure_report` goes to stderr first. Call it once the
    results of the other inputs are written.

    Args:
        failed (Sequence[tuple[str, str]]): ``(input name, reason)`` pairs.
        kind (str): What the inputs are.
        total (int, optional): Number of inputs of the run. Defaults to None.
    """
    if failed:
        print(failure_report(failed, kind, total), file=sys.stderr)
        sys.exit(EXIT_INPUTS_FAILED)
