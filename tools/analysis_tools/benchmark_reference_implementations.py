"""Compare glamor_mm's speed with the two reference implementations.

In one process, on the same random uint8 views (face 96x96, context
112x112, 7 classes), this tool times:

- **A**, the GLAMOR-Net authors' TensorFlow model and training step
  (github.com/minhnhatvt/glamor-net), eagerly as their ``train.py`` runs it
  and wrapped in ``tf.function``: ``reference_glamor_tf.py``;
- **B**, the PyTorch CAER-Net-S (github.com/ndkhanh360/CAER), its training
  step and its PIL/torchvision data loader: ``reference_caernet_s.py``;
- **glamor_mm**: the training-step variants of ``benchmark_train_step.py``
  (``--variants``), PyTorch and ONNX Runtime inference of
  ``benchmark_inference.py`` (INT8 ONNX Runtime with ``--int8``, PyTorch
  under bfloat16 autocast with ``--bf16``), and the config's training
  pipeline through ``benchmark_pipeline.py``'s loader, uncached (and
  cached with ``--cache-dir``).

A and B are reconstructions written from the structure of those
repositories (see the two modules' docstrings for the files followed), not
their code. Measured are the training step (forward, loss, backward,
optimizer step, input normalisation included; images/s at
``--batch-size``), inference (images/s at each ``--inference-batch-sizes``,
input normalisation included) and the training data pipeline
(``--pipeline-workers`` DataLoader workers; B's loader against glamor_mm's
uncached pipeline plus its data preprocessor, both on the config's training
images). Every measurement runs in interleaved rounds, so that a busy
machine slows them alike; the table shows the median rates, and the ratio
of each to A's ``tf.function`` and to B: the median over the rounds of the
two rates' ratio in the same round. A second table checks glamor_mm's speed
targets: its fastest training step >= 1.2x A's ``tf.function`` step and
>= 2x its own NCHW float32 step (``default``), its fastest inference
>= 1.5x A's ``tf.function`` at every batch size, and its uncached training
pipeline >= 1.2x B's.
PyTorch, TensorFlow (intra-op and inter-op pools) and ONNX Runtime all get
``--threads`` threads.

TensorFlow is an optional dependency (``tensorflow-cpu`` in
``requirements/optional.txt``); without it the tool stops with an
ImportError that says so.

Example (the speed docs' numbers; the data as there):
    python tools/analysis_tools/benchmark_reference_implementations.py \\
        configs/glamor/glamor_original_1xb32-12e_toy.py --threads 1 \\
        --int8 --bf16 --cache-dir /tmp/bench_cache --variants default \\
        channels_last channels_last+bf16 compile_model --rounds 7 \\
        --cfg-options train_dataloader.dataset.data_root=data/bench_712x400
"""
import argparse
import copy
import statistics
import time
from functools import partial
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import torch
from mmengine.config import Config
from mmpretrain.registry import DATASETS, MODELS

import glamor_mm  # noqa: F401  (registers the models)
from glamor_mm.utils import interleaved_rounds, medians, throughput
from analysis_cli import (add_cfg_options_argument, add_rounds_arguments,
                          format_rounds, load_config, markdown_table)
from benchmark_inference import backend_measures, build_backends
from benchmark_pipeline import LoaderVariant, config_loader
from benchmark_train_step import build_step, random_batch, variant
import reference_caernet_s as caernet_s
import reference_glamor_tf as glamor_tf

A_EAGER, A_GRAPH, B = 'A eager', 'A tf.function', 'B'
TRAINING = 'training step'
PIPELINE = 'training pipeline'
SECTIONS = ('training', 'inference', 'pipeline')
UNCACHED = 'glamor_mm uncached'
# (section prefix, which of glamor_mm's rows compete, what the fastest of
# them is compared with, the factor)
TARGETS = ((TRAINING, 'glamor_mm', A_GRAPH, 1.2),
           (TRAINING, 'glamor_mm', 'glamor_mm default', 2.0),
           ('inference', 'glamor_mm', A_GRAPH, 1.5),
           (PIPELINE, UNCACHED, B, 1.2))


def parse_args() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        description='Images/s of glamor_mm against the TensorFlow '
        'GLAMOR-Net and the PyTorch CAER-Net-S.')
    parser.add_argument(
        'config', help="glamor_mm model config (and its training data)")
    parser.add_argument(
        '--variants',
        nargs='+',
        type=variant,
        default=['default', 'channels_last', 'channels_last+bf16'],
        help="glamor_mm's training-step variants, as in "
        'benchmark_train_step.py (default: default channels_last '
        'channels_last+bf16)')
    parser.add_argument(
        '--batch-size',
        type=int,
        default=32,
        help='training step and pipeline batch (default 32)')
    parser.add_argument(
        '--inference-batch-sizes',
        type=int,
        nargs='+',
        default=[32, 1],
        help='default 32 1')
    add_rounds_arguments(
        parser,
        rounds=3,
        threads='threads of PyTorch, of both TensorFlow pools and of ONNX '
        'Runtime')
    parser.add_argument(
        '--steps',
        type=int,
        default=2,
        help='training steps per measure and round (default 2)')
    parser.add_argument(
        '--warmup',
        type=int,
        default=2,
        help='untimed training steps first (default 2)')
    parser.add_argument(
        '--seconds',
        type=float,
        default=2.,
        help='seconds per inference measure and round (default 2)')
    parser.add_argument(
        '--int8',
        action='store_true',
        help='also time the INT8 ONNX model (calibrated on the data)')
    parser.add_argument(
        '--bf16',
        action='store_true',
        help="also time glamor_mm's PyTorch inference under bfloat16 "
        'autocast')
    parser.add_argument(
        '--calib-samples',
        type=int,
        default=64,
        help='samples of the train split --int8 calibrates on (default 64)')
    parser.add_argument(
        '--pipeline-workers',
        type=int,
        default=2,
        help='DataLoader workers of both training pipelines (default 2)')
    parser.add_argument(
        '--pipeline-samples',
        type=int,
        default=320,
        help='images per pipeline measure and round (default 320)')
    parser.add_argument(
        '--cache-dir',
        default=None,
        help="also time glamor_mm's training pipeline with the pipeline "
        'cache in this folder (relative to data_root unless absolute)')
    parser.add_argument(
        '--sections',
        nargs='+',
        choices=SECTIONS,
        default=list(SECTIONS),
        help='what to time (default: all); without pipeline no training '
        'images are needed')
    add_cfg_options_argument(parser)
    return parser.parse_args()


def training_step_measures(cfg: Config, variants: Sequence[str],
                           batch_size: int, steps: int,
                           warmup: int) -> Tuple[dict, dict]:
    """Training-step measures of A (eager, ``tf.function``), B and
    glamor_mm's variants on the same random batch.

    Args:
        cfg (Config): glamor_mm's config.
        variants (Sequence[str]): glamor_mm's variants.
        batch_size (int): Images a step.
        steps (int): Timed steps a measure.
        warmup (int): Untimed steps of each, made here.

    Returns:
        tuple[dict, dict]: Per implementation, a measure returning images/s;
        and its warm-up seconds (tracing and compilation included).
    """
    batch = random_batch(batch_size)
    face, context = batch['inputs']['face'], batch['inputs']['context']
    labels = torch.arange(batch_size) % 7
    nhwc = [
        glamor_tf.tf.constant(view.permute(0, 2, 3, 1).numpy())
        for view in (face, context)
    ]
    tf_labels = glamor_tf.tf.constant(labels.numpy())
    tf_model = glamor_tf.GlamorNetTF()
    tf_optimizer = glamor_tf.make_optimizer()
    torch.manual_seed(0)
    caernet = caernet_s.ReferenceCAERNetS().train()
    caernet_step = caernet_s.make_train_step(caernet)
    steps_to_time: Dict[str, Callable[[], object]] = {}
    for name, graph in ((A_EAGER, False), (A_GRAPH, True)):
        step = glamor_tf.make_train_step(tf_model, tf_optimizer, graph)
        steps_to_time[name] = lambda step=step: step(*nhwc, tf_labels).numpy()
    steps_to_time[B] = partial(caernet_step, face, context, labels)
    for name in variants:
        steps_to_time[f'glamor_mm {name}'] = partial(
            build_step(cfg, name, 'cpu'), batch)
    warmup_seconds = {}
    for name, step in steps_to_time.items():
        start = time.perf_counter()
        for _ in range(warmup):
            step()
        warmup_seconds[name] = time.perf_counter() - start
    measures = {
        name: partial(throughput, step, batch_size, min_calls=steps)
        for name, step in steps_to_time.items()
    }
    return measures, warmup_seconds


def inference_measures(cfg: Config, config_name: str, threads: int,
                       batch_sizes: Sequence[int], seconds: float,
                       int8: bool, calib_samples: int,
                       bf16: bool) -> Dict[tuple, Callable]:
    """Inference measures of A (eager, ``tf.function``), B and glamor_mm's
    backends (``benchmark_inference.py``), on random uint8 views.

    Args:
        cfg (Config): glamor_mm's config.
        config_name (str): Its file, for error messages.
        threads (int): ONNX Runtime's intra-op threads.
        batch_sizes (Sequence[int]): Samples a call.
        seconds (float): Timed seconds a measure.
        int8 (bool): Also time the INT8 ONNX model, calibrated on
            ``calib_samples`` samples of the train split.
        calib_samples (int): See ``int8``.
        bf16 (bool): Also time PyTorch under bfloat16 autocast.

    Returns:
        dict: Per ``(section, implementation)``, a measure returning
        images/s; sections are ``'inference, batch N'``.
    """
    backends = build_backends(
        cfg,
        config_name,
        threads,
        int8=int8,
        calib_split='train',
        calib_samples=calib_samples)
    tf_model = glamor_tf.GlamorNetTF()
    torch.manual_seed(0)
    caernet = caernet_s.ReferenceCAERNetS().eval()
    predictors = {
        A_EAGER: glamor_tf.make_predict(tf_model, graph=False),
        A_GRAPH: glamor_tf.make_predict(tf_model, graph=True)
    }
    gen = torch.Generator().manual_seed(1)
    measures = {}
    timing = dict(min_seconds=seconds, warmup_calls=1)
    for batch_size in batch_sizes:
        section = f'inference, batch {batch_size}'
        face, context = (
            torch.randint(
                0, 256, (batch_size, 3, size, size),
                dtype=torch.uint8,
                generator=gen) for size in (96, 112))
        nhwc = [
            glamor_tf.tf.constant(view.permute(0, 2, 3, 1).numpy())
            for view in (face, context)
        ]
        for name, predict in predictors.items():
            measures[section, name] = partial(
                throughput,
                lambda predict=predict, nhwc=nhwc: predict(*nhwc).numpy(),
                batch_size, **timing)

        def run_caernet(face=face, context=context):
            with torch.no_grad():
                caernet(
                    caernet_s.normalize(face), caernet_s.normalize(context))

        measures[section, B] = partial(throughput, run_caernet, batch_size,
                                       **timing)
        for name, measure in backend_measures(backends, [batch_size],
                                              seconds, bf16).items():
            backend = name.rsplit(',', 1)[0]
            measures[section, f'glamor_mm {backend}'] = measure
    return measures


def pipeline_measures(
        cfg: Config,
        batch_size: int,
        num_workers: int,
        num_samples: int,
        cache_dir: Optional[str] = None) -> Dict[tuple, Callable]:
    """Training-pipeline measures of B's loader and of glamor_mm's
    uncached training pipeline (with its data preprocessor), on the images
    of the config's training dataset. Each runs one untimed epoch here.

    Args:
        cfg (Config): glamor_mm's config.
        batch_size (int): Images a batch.
        num_workers (int): DataLoader workers of each.
        num_samples (int): Images a measure.
        cache_dir (str, optional): Also time glamor_mm's pipeline with its
            pipeline cache in this folder (``dataset.cache_dir``; filled in
            the untimed epoch). Defaults to None.

    Returns:
        dict: Per ``(section, implementation)``, a measure returning
        images/s.
    """
    dataset_cfg = copy.deepcopy(cfg.train_dataloader.dataset)
    dataset = DATASETS.build(dict(dataset_cfg, cache_dir=None))
    dataset.full_init()
    samples = []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        box = info['face_bbox'] or (0, 0, 0, 0)  # their no-face line
        samples.append((info['img_path'], info['gt_label'],
                        tuple(int(v) for v in box)))
    loader_cfg = dict(cfg.train_dataloader, batch_size=batch_size)
    loaders = {
        B:
        LoaderVariant(
            caernet_s.make_loader(
                caernet_s.ReferenceCAERSDataset(samples), batch_size,
                num_workers)),
        UNCACHED:
        LoaderVariant(
            config_loader(dataset, loader_cfg, num_workers),
            MODELS.build(cfg.data_preprocessor))
    }
    if cache_dir is not None:
        cached = DATASETS.build(dict(dataset_cfg, cache_dir=cache_dir))
        cached.full_init()
        loaders['glamor_mm cached'] = LoaderVariant(
            config_loader(cached, loader_cfg, num_workers),
            MODELS.build(cfg.data_preprocessor))
    section = f'{PIPELINE}, {num_workers} workers'
    measures = {}
    for name, loader in loaders.items():
        loader.warm_up()
        measures[section, name] = lambda loader=loader: (
            loader.samples_per_second(num_samples)[0])
    return measures


def round_ratio(rounds: Dict[str, List[float]], name: str,
                reference: str) -> Optional[float]:
    """The median over the rounds of ``name``'s rate divided by
    ``reference``'s in the same round (the two were timed under about the
    same load); None if ``reference`` was not measured.

    Args:
        rounds (dict[str, list[float]]): Per implementation, its rate in
            each round.
        name (str): The implementation.
        reference (str): The one it is compared with.
    """
    if reference not in rounds:
        return None
    return statistics.median(
        rate / ref for rate, ref in zip(rounds[name], rounds[reference]))


def target_rows(
        rounds: Dict[str, Dict[str, List[float]]]) -> List[List[str]]:
    """The speed targets for glamor_mm, one row per target measured.

    Args:
        rounds (dict): Per section, per implementation, its rate in each
            round.

    Returns:
        list[list[str]]: Per target (``TARGETS``) and matching section:
        the target, glamor_mm's fastest implementation of the section (by
        the median rate), its :func:`round_ratio` to the target's
        reference, and ``'met'`` or ``'missed'``.
    """
    rows = []
    for prefix, competing, reference, factor in TARGETS:
        for section, row in rounds.items():
            ours = {
                name: statistics.median(rates)
                for name, rates in row.items() if name.startswith(competing)
            }
            if not section.startswith(prefix) or reference not in row \
                    or not ours:
                continue
            best = max(ours, key=ours.get)
            ratio = round_ratio(row, best, reference)
            rows.append([
                f'{section} >= {factor}x {reference}', best,
                f'{ratio:.2f}x', 'met' if ratio >= factor else 'missed'
            ])
    return rows


def ratio_cell(ratio: Optional[float]) -> str:
    """``'1.23x'``, or ``'-'`` for None."""
    return '-' if ratio is None else f'{ratio:.2f}x'


def main() -> Dict[str, Dict[str, float]]:
    """Time everything and print the tables.

    Returns:
        dict[str, dict[str, float]]: Per section (``'training step'``,
        ``'inference, batch N'``, ``'training pipeline, N workers'``), the
        median images/s per implementation.
    """
    args = parse_args()
    cfg = load_config(args.config, args.cfg_options)
    # OpenCV without its thread pool, as MMEngine's default env_cfg sets up
    cv2.setNumThreads(0)
    torch.set_num_threads(args.threads)
    glamor_tf.set_threads(args.threads)
    measures, warmup_seconds = {}, {}
    if 'training' in args.sections:
        train_measures, warmup_seconds = training_step_measures(
            cfg, args.variants, args.batch_size, args.steps, args.warmup)
        measures.update({(TRAINING, name): measure
                         for name, measure in train_measures.items()})
    if 'inference' in args.sections:
        measures.update(
            inference_measures(cfg, args.config, args.threads,
                               args.inference_batch_sizes, args.seconds,
                               args.int8, args.calib_samples, args.bf16))
    if 'pipeline' in args.sections:
        measures.update(
            pipeline_measures(cfg, args.batch_size, args.pipeline_workers,
                              args.pipeline_samples, args.cache_dir))
    rounds = interleaved_rounds(measures, args.rounds)
    by_section: Dict[str, Dict[str, List[float]]] = {}
    for (section, name), results in rounds.results.items():
        by_section.setdefault(section, {})[name] = results
    rates = {section: medians(row) for section, row in by_section.items()}

    print(f'{args.config}: face 96x96, context 112x112, 7 classes; '
          f'training batch {args.batch_size}; {args.threads} thread(s) for '
          'PyTorch (torch.set_num_threads), TensorFlow (intra-op and '
          'inter-op) and ONNX Runtime (intra-op); median of '
          f'{args.rounds} rounds; {rounds.load}')
    rows = []
    for section, row in by_section.items():
        for name, results in row.items():
            rows.append([
                section, name, f'{rates[section][name]:.1f}',
                ratio_cell(round_ratio(row, name, A_GRAPH)),
                ratio_cell(round_ratio(row, name, B)),
                format_rounds(results, '.1f')
            ])
    print(
        markdown_table(('measurement', 'implementation', 'images/s',
                        f'vs {A_GRAPH}', f'vs {B}', 'rounds'), rows,
                       'llrrrl'))
    if warmup_seconds:
        print('Warm-up of the training steps (s, tracing and compilation '
              'included): ' + ', '.join(f'{name} {seconds:.1f}'
                                        for name, seconds in
                                        warmup_seconds.items()))
    print(
        markdown_table(('target', "glamor_mm's fastest", 'ratio', ''),
                       target_rows(by_section), 'llrl'))
    return rates


if __name__ == '__main__':
    main()
