"""tools/analysis_tools/benchmark_reference_implementations.py on a tiny
setting: every implementation is timed, and the ratios and targets it prints
are computed from the rates it measured."""
import os
import os.path as osp
import re
import statistics

import pytest
import torch

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = 'tools/analysis_tools/benchmark_reference_implementations.py'


def _table_rows(out):
    """The cells of every printed table row."""
    return [[cell.strip() for cell in line.strip('|').split('|')]
            for line in out.splitlines()
            if line.startswith('| ') and not line.startswith('| ---')]


def test_reference_models_match_their_structure():
    """The reconstructions give the references' output shapes and sizes."""
    pytest.importorskip('tensorflow')
    import reference_caernet_s
    import reference_glamor_tf as glamor_tf
    tf = glamor_tf.tf
    model = glamor_tf.GlamorNetTF()
    scores = model(
        tf.zeros((2, 96, 96, 3)), tf.zeros((2, 112, 112, 3)), training=False)
    assert scores.shape == (2, 7)
    assert float(tf.reduce_sum(scores[0])) == pytest.approx(1.0, abs=1e-5)
    caernet = reference_caernet_s.ReferenceCAERNetS().eval()
    with torch.no_grad():
        logits = caernet(
            torch.zeros(2, 3, 96, 96), torch.zeros(2, 3, 112, 112))
    assert logits.shape == (2, 7)
    # two identical encoders (3x3 convs 3-32-64-128-256-256 with BN) in both
    encoder = 9 * (3 * 32 + 32 * 64 + 64 * 128 + 128 * 256 + 256 * 256) + \
        3 * (32 + 64 + 128 + 256 + 256)  # conv biases, BN weight and bias
    tf_params = sum(int(tf.size(v)) for v in model.trainable_variables)
    assert tf_params - 2 * encoder == (512 * 128 + 128) + 2 * 128 + (
        128 + 1) + 2 * (256 * 128 + 128 + 128 + 1) + (512 * 128 + 128) + (
            128 * 7 + 7)


def _ratio_bounds(rounds, reference_rounds):
    """The bounds of the median over the rounds of the per-round ratio of
    rates printed with one decimal, widened by a two-decimal ratio's
    rounding (the median is monotonic in every ratio)."""
    lows = [(r - 0.05) / (ref + 0.05) for r, ref in zip(rounds,
                                                         reference_rounds)]
    highs = [(r + 0.05) / (ref - 0.05)
             for r, ref in zip(rounds, reference_rounds)]
    return statistics.median(lows) - 0.005, statistics.median(highs) + 0.005


def test_ratios_come_from_the_measured_rates(toy_config, tiny_toy_opts,
                                             tmp_path, run_tool, check_ok):
    """In its own process: TensorFlow's threads are set before it runs."""
    pytest.importorskip('tensorflow')
    proc = run_tool([
        TOOL, toy_config, '--variants', 'default', 'channels_last',
        '--batch-size', '2', '--inference-batch-sizes', '2', '1', '--bf16',
        '--rounds', '2', '--steps', '1', '--warmup', '1', '--seconds',
        '0.01', '--pipeline-workers', '0', '--pipeline-samples', '4',
        '--cache-dir',
        str(tmp_path), '--cfg-options'
    ] + tiny_toy_opts)
    check_ok(proc)
    table = _table_rows(proc.stdout)
    rates, rounds = {}, {}
    for cells in table:
        if len(cells) == 6 and cells[0] != 'measurement':
            section, name, rate, vs_a, vs_b, printed_rounds = cells
            rates.setdefault(section, {})[name] = (float(rate), vs_a, vs_b)
            rounds[section, name] = list(
                map(float, printed_rounds.split(', ')))
            # the median of the two rounds it printed
            assert float(rate) == pytest.approx(
                sum(rounds[section, name]) / 2, abs=0.11)
    implementations = {'A eager', 'A tf.function', 'B'}
    assert rates['training step'].keys() == implementations | {
        'glamor_mm default', 'glamor_mm channels_last'
    }
    for batch in (2, 1):
        assert rates[f'inference, batch {batch}'].keys() == \
            implementations | {
                'glamor_mm pytorch', 'glamor_mm pytorch bf16',
                'glamor_mm onnxruntime'
            }
    assert rates['training pipeline, 0 workers'].keys() == {
        'B', 'glamor_mm uncached', 'glamor_mm cached'
    }
    # a ratio: the median of the rounds' ratios of the printed rates
    for section, row in rates.items():
        for name, (_, vs_a, vs_b) in row.items():
            for ratio, reference in ((vs_a, 'A tf.function'), (vs_b, 'B')):
                if reference not in row:
                    assert ratio == '-'
                    continue
                low, high = _ratio_bounds(rounds[section, name],
                                          rounds[section, reference])
                assert low <= float(ratio.rstrip('x')) <= high
    # each target: glamor_mm's fastest of the section against its reference
    targets = [cells for cells in table if ' >= ' in cells[0]]
    assert len(targets) == 5
    for name, best, ratio, verdict in targets:
        section, factor, reference = re.fullmatch(
            r'(.+) >= ([\d.]+)x (.+)', name).groups()
        # the pipeline target is the uncached pipeline's
        competing = 'glamor_mm uncached' if 'pipeline' in section else \
            'glamor_mm'
        ours = {
            k: rate
            for k, (rate, _, _) in rates[section].items()
            if k.startswith(competing)
        }
        assert ours[best] == max(ours.values())
        low, high = _ratio_bounds(rounds[section, best],
                                  rounds[section, reference])
        assert low <= float(ratio.rstrip('x')) <= high
        if abs(float(ratio.rstrip('x')) - float(factor)) > 0.005:
            assert verdict == ('met' if float(ratio.rstrip('x')) >=
                               float(factor) else 'missed')


def test_sections_time_only_what_is_asked(toy_config, tiny_toy_opts,
                                          run_tool, check_ok):
    """``--sections pipeline``: only the data pipelines and their target,
    no training step and no inference."""
    proc = run_tool([
        TOOL, toy_config, '--sections', 'pipeline', '--batch-size', '2',
        '--rounds', '1', '--pipeline-workers', '0', '--pipeline-samples', '4',
        '--cfg-options'
    ] + tiny_toy_opts)
    check_ok(proc)
    table = _table_rows(proc.stdout)
    measured = {(cells[0], cells[1])
                for cells in table if len(cells) == 6 and
                cells[0] != 'measurement'}
    assert measured == {('training pipeline, 0 workers', 'B'),
                        ('training pipeline, 0 workers', 'glamor_mm uncached')}
    targets = [cells[0] for cells in table if ' >= ' in cells[0]]
    assert targets == ['training pipeline, 0 workers >= 1.2x B']
    assert 'Warm-up of the training steps' not in proc.stdout


def test_without_tensorflow_it_says_what_to_install(toy_config, tmp_path,
                                                    run_tool):
    """A ``tensorflow`` that cannot be imported (shadowed here) stops the
    tool with the package to install, before any timing."""
    (tmp_path / 'tensorflow.py').write_text(
        "raise ImportError('No module named tensorflow')\n")
    proc = run_tool([TOOL, toy_config, '--sections', 'training', 'inference'],
                    env=dict(PYTHONPATH=os.pathsep.join(
                        [str(tmp_path), REPO_ROOT])))
    assert proc.returncode != 0
    assert 'pip install tensorflow-cpu' in proc.stderr
    assert 'requirements/optional.txt' in proc.stderr
    assert '| measurement |' not in proc.stdout
