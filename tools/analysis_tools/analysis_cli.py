"""Command-line options and printed tables the analysis tools share.

A module beside the tools, not in ``glamor_mm``: running
``python tools/analysis_tools/<tool>.py`` puts this folder first on
``sys.path``, so the tools import it as ``analysis_cli``.
"""
import argparse
from typing import Iterable, List, Optional, Sequence

ALIGNMENTS = {'l': '---', 'r': '---:'}


def add_rounds_arguments(parser: argparse.ArgumentParser,
                         rounds: int,
                         threads: Optional[str] = None) -> None:
    """Add the timing options every benchmark tool has.

    Args:
        parser (argparse.ArgumentParser): The tool's parser.
        rounds (int): Default of ``--rounds``, the timed rounds.
        threads (str, optional): What ``--threads`` (default 1) sets, e.g.
            ``'torch threads'``; None: the tool has no ``--threads``.
            Defaults to None.
    """
    parser.add_argument(
        '--rounds',
        type=int,
        default=rounds,
        help=f'timed rounds (default {rounds})')
    if threads is not None:
        parser.add_argument(
            '--threads',
            type=int,
            default=1,
            help=f'{threads} (default 1; see the README on threads)')


def add_cfg_options_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--cfg-options``, the config overrides of ``tools/train.py``."""
    from mmengine.config import DictAction
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, as in tools/train.py')


def load_config(filename: str, cfg_options: Optional[dict] = None):
    """Read a config, apply ``--cfg-options`` and set its default scope.

    Args:
        filename (str): The config file.
        cfg_options (dict, optional): Overrides (``--cfg-options``).
            Defaults to None.

    Returns:
        mmengine.config.Config: The config.
    """
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    cfg = Config.fromfile(filename)
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    return cfg


def add_trust_dump_argument(parser: argparse.ArgumentParser) -> None:
    """Add the ``--trust-dump`` flag of the tools that read dumps."""
    parser.add_argument(
        '--trust-dump',
        action='store_true',
        help='fully unpickle the dumps even if they hold objects other than '
        'the tensors, numpy values and builtins tools/test.py --out writes '
        '(it can run code: only for files you trust)')


def format_rounds(values: Iterable[float], spec: str = '.0f') -> str:
    """The values of the rounds, e.g. ``'158, 180'``.

    Args:
        values (Iterable[float]): One value per round.
        spec (str): Format spec of a value. Defaults to ``'.0f'``.

    Returns:
        str: The formatted values, separated by ``', '``.
    """
    return ', '.join(f'{value:{spec}}' for value in values)


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]],
                   align: str) -> str:
    """A markdown table, one line a row, without a final newline.

    Args:
        header (Sequence[str]): The column names.
        rows (Iterable[Sequence[str]]): The cells of every row, formatted.
        align (str): Per column, ``'l'`` (left) or ``'r'`` (right).

    Returns:
        str: E.g. ``'| a | b |\\n|---|---:|\\n| x | 1 |'``.

    Raises:
        ValueError: ``align`` has another letter, or the header, ``align``
            or a row differ in length.
    """
    if len(align) != len(header) or set(align) - set(ALIGNMENTS):
        raise ValueError(f'align needs one of {"/".join(ALIGNMENTS)} per '
                         f'column of {list(header)}, got {align!r}.')
    lines = [_row(header), '|' + '|'.join(ALIGNMENTS[a] for a in align) + '|']
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f'Row {list(row)} does not have the '
                             f'{len(header)} columns of {list(header)}.')
        lines.append(_row(row))
    return '\n'.join(lines)


def _row(cells: Sequence[str]) -> str:
    """``'| a | b |'``."""
    return '| ' + ' | '.join(cells) + ' |'


def gflops_cells(rate: float, gflop: float,
                 peak: Optional[float]) -> List[str]:
    """Table cells of the achieved GFLOP/s and its share of the peak.

    Args:
        rate (float): Items (e.g. images) per second.
        gflop (float): GFLOP of one item.
        peak (float, optional): The peak GFLOP/s (e.g. of
            :func:`glamor_mm.utils.matmul_gflops`); None: no share.

    Returns:
        list[str]: ``['12.3']`` or ``['12.3', '15%']``.
    """
    achieved = rate * gflop
    cells = [f'{achieved:.1f}']
    if peak is not None:
        cells.append(f'{achieved / peak:.0%}')
    return cells
