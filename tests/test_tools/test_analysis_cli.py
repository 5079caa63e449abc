"""The analysis tools' shared options and the exact markdown of their
tables (tools/analysis_tools/analysis_cli.py)."""
import argparse

import pytest

from analysis_cli import (add_rounds_arguments, add_trust_dump_argument,
                          format_rounds, markdown_table)


def test_rounds_and_trust_dump_arguments():
    parser = argparse.ArgumentParser()
    add_rounds_arguments(parser, rounds=5, threads='torch threads')
    add_trust_dump_argument(parser)
    args = parser.parse_args([])
    assert (args.rounds, args.threads, args.trust_dump) == (5, 1, False)
    args = parser.parse_args(['--rounds', '2', '--trust-dump'])
    assert (args.rounds, args.trust_dump) == (2, True)
    parser = argparse.ArgumentParser()
    add_rounds_arguments(parser, rounds=3)
    assert not hasattr(parser.parse_args([]), 'threads')


def test_format_rounds():
    assert format_rounds([158.4, 180.6]) == '158, 181'
    assert format_rounds([33.84, 31.0], '.1f') == '33.8, 31.0'


def test_markdown_table_text():
    text = markdown_table(('variant', 'images/s', 'rounds'),
                          [('default', '94.3', '90, 98'),
                           ('channels_last', '131', '120, 140')], 'lrl')
    assert text == ('| variant | images/s | rounds |\n'
                    '|---|---:|---|\n'
                    '| default | 94.3 | 90, 98 |\n'
                    '| channels_last | 131 | 120, 140 |')
    assert markdown_table(['a'], [], 'r') == '| a |\n|---:|'


def test_markdown_table_refuses_mismatched_columns():
    with pytest.raises(ValueError, match=r"got 'lx'"):
        markdown_table(('a', 'b'), [], 'lx')
    with pytest.raises(ValueError, match=r"got 'l'"):
        markdown_table(('a', 'b'), [], 'l')
    with pytest.raises(ValueError, match=r"Row \['1'\] does not have the 2"):
        markdown_table(('a', 'b'), [('1', )], 'll')
