import argparse
import importlib.util
import os.path as osp
import sys

import numpy as np
import pytest
import torch


ROOT = osp.join(osp.dirname(__file__), '..', '..')
GUIDED_CONFIG = osp.join(ROOT, 'configs', 'toy', 'on_toy_guided.py')
CLIP_CONFIG = osp.join(ROOT, 'configs', 'video',
                       'glamor_original3d_1xb32-12e_caer.py')


@pytest.fixture(scope='module')
def tool():
    """tools/deployment/pytorch2onnx.py as a module."""
    path = osp.join(ROOT, 'tools', 'deployment', 'pytorch2onnx.py')
    spec = importlib.util.spec_from_file_location('pytorch2onnx', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _save_random_checkpoint(config, cfg_options, checkpoint):
    """Save the weights of the config's model, freshly built."""
    from mmengine.config import Config
    from mmpretrain.registry import MODELS

    from glamor_mm.datasets import CAER_CLASSES
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(cfg_options or {})
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    torch.save(
        dict(
            state_dict=model.state_dict(),
            meta=dict(dataset_meta=dict(classes=CAER_CLASSES))), checkpoint)


def test_export_is_checked_against_pytorch(tool, toy_config, tiny_toy_opts,
                                           tmp_path, monkeypatch, capsys):
    from glamor_mm.datasets import CAER_CLASSES
    from glamor_mm.deployment import OnnxRuntimeClassifier
    argv = ['pytorch2onnx.py', toy_config, str(tmp_path / 'model.pth'),
            '--out', str(tmp_path / 'model.onnx'), '--cfg-options'
            ] + tiny_toy_opts
    monkeypatch.setattr(sys, 'argv', argv)
    args = tool.parse_args()
    _save_random_checkpoint(toy_config, args.cfg_options, args.checkpoint)

    diffs = tool.main()
    assert set(diffs) == {'scores', 'attention', 'fusion_weights'}
    assert max(diffs.values()) <= 1e-5
    out = capsys.readouterr().out
    assert 'inputs face N×3×96×96, context N×3×112×112' in out
    assert 'outputs scores, attention, fusion_weights' in out
    assert 'max |ONNX Runtime - PyTorch| of attention' in out
    runtime = OnnxRuntimeClassifier(args.out)
    assert runtime.dataset_meta['classes'] == tuple(CAER_CLASSES)

    monkeypatch.setattr(sys, 'argv', argv + ['--tolerance', '0'])
    with pytest.raises(RuntimeError, match='differs from PyTorch'):
        tool.main()


def test_view_shapes_come_from_the_test_pipeline(tool, tmp_path,
                                                 monkeypatch):
    """The face-guided toy config crops 32x32 faces and keeps the picture
    as the context: the export takes those sizes (the context's given, as
    the pipeline does not fix it), and runs on views its pipeline makes."""
    from mmcv.transforms import Compose
    from mmengine.config import Config
    from mmpretrain.registry import TRANSFORMS

    from glamor_mm.datasets.toy.caers import generate_toy_caers
    from glamor_mm.deployment import OnnxRuntimeClassifier
    from mmengine.registry import DefaultScope
    root = str(tmp_path / 'guided')
    generate_toy_caers(
        root,
        num_per_class=dict(train=1, val=1, test=1),
        mode='guided')
    checkpoint, out = str(tmp_path / 'g.pth'), str(tmp_path / 'g.onnx')
    _save_random_checkpoint(GUIDED_CONFIG, None, checkpoint)
    argv = ['pytorch2onnx.py', GUIDED_CONFIG, checkpoint, '--out', out]
    monkeypatch.setattr(sys, 'argv', argv)
    with pytest.raises(ValueError, match='does not fix the size of the '
                       'context view.*--context-size H W'):
        tool.main()

    cfg = Config.fromfile(GUIDED_CONFIG)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        pipeline = Compose([
            TRANSFORMS.build(t) for t in cfg.test_dataloader.dataset.pipeline
        ])
    line = open(osp.join(root, 'test.txt')).readline().strip().split(',')
    sample = pipeline(
        dict(
            img_path=osp.join(root, line[0]),
            face_bbox=np.array(line[2:6], dtype=np.float32)))['inputs']
    height, width = sample['context'].shape[1:]
    monkeypatch.setattr(
        sys, 'argv',
        argv + ['--context-size', str(height), str(width)])
    assert max(tool.main().values()) <= 1e-5
    runtime = OnnxRuntimeClassifier(out)
    assert runtime.view_shapes == dict(
        face=(3, 32, 32), context=(3, height, width))
    scores = runtime.run(sample['face'][None].numpy(),
                         sample['context'][None].numpy())['scores']
    assert scores.shape == (1, 7)

    monkeypatch.setattr(sys, 'argv', argv + ['--face-size', '96', '96'])
    with pytest.raises(ValueError, match='makes 3x32x32 face views; the '
                       'given face size 3x96x96 disagrees'):
        tool.main()


def test_int8_of_a_face_only_classifier_is_refused(tool, tmp_path,
                                                   monkeypatch):
    """An ImageClassifier on face crops exports face-only, but --int8 (whose
    calibration makes two-view samples) is refused by name, before the
    checkpoint is read."""
    config = osp.join(ROOT, 'configs', 'baselines',
                      'resnet50_1xb32-60e_ncaers-face.py')
    monkeypatch.setattr(sys, 'argv', [
        'pytorch2onnx.py', config,
        str(tmp_path / 'missing.pth'), '--out',
        str(tmp_path / 'face.onnx'), '--int8'
    ])
    with pytest.raises(ValueError, match='ncaers-face.py: --int8 takes '
                       'two-view models'):
        tool.main()


def test_clip_models_are_refused(tool, tmp_path, monkeypatch):
    monkeypatch.setattr(sys, 'argv', [
        'pytorch2onnx.py', CLIP_CONFIG,
        str(tmp_path / 'missing.pth'), '--out',
        str(tmp_path / 'clip.onnx')
    ])
    with pytest.raises(NotImplementedError,
                       match='glamor_original3d.*clip models are not '
                       'supported yet'):
        tool.main()
    assert not osp.exists(tmp_path / 'clip.onnx')


@pytest.fixture(scope='module')
def int8_export(tool, trained, toy_config, tiny_toy_opts, tmp_path_factory):
    """FP32 and INT8 exports of the trained tiny model, calibrated on 64
    samples of the small toy data's train split; and the tool's output."""
    out = str(tmp_path_factory.mktemp('int8') / 'model.onnx')
    argv = [
        'pytorch2onnx.py', toy_config,
        osp.join(trained, 'epoch_8.pth'), '--out', out, '--int8',
        '--calib-split', 'train', '--calib-samples', '64', '--cfg-options'
    ] + tiny_toy_opts
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, 'argv', argv)
        tool.main()
    return out, out[:-len('.onnx')] + '_int8.onnx'


def test_int8_agrees_with_fp32(int8_export, toy_config, tiny_toy_opts,
                               tmp_path):
    """On a toy test split of the quickstart's size (30 pictures per class,
    144x192), the INT8 model's top-1 class is the FP32 one's for >= 99 % of
    the samples (measured: 99.5 % on 420 samples), and no class probability
    moves by more than 0.02 (measured: 0.003)."""
    from mmengine.config import Config, DictAction

    from glamor_mm.datasets.toy.caers import generate_toy_caers
    from glamor_mm.deployment import OnnxRuntimeClassifier
    from glamor_mm.deployment.quantization import (compare_scores,
                                                   split_views)
    fp32, int8 = int8_export
    runtime = OnnxRuntimeClassifier(int8)
    quantized = runtime.session.get_modelmeta().custom_metadata_map
    assert '"calib_samples": 64' in quantized['quantization']
    assert runtime.view_shapes == OnnxRuntimeClassifier(fp32).view_shapes
    root = str(tmp_path / 'toy')
    generate_toy_caers(
        root, num_per_class=dict(train=1, val=1, test=30), seed=1)
    cfg = Config.fromfile(toy_config)
    parser = argparse.ArgumentParser()
    parser.add_argument('--opts', nargs='+', action=DictAction)
    cfg.merge_from_dict(parser.parse_args(['--opts'] + tiny_toy_opts).opts)
    cfg.test_dataloader.dataset.data_root = root
    result = compare_scores(
        OnnxRuntimeClassifier(fp32), runtime, split_views(cfg, 'test', 10**9))
    assert result['samples'] == 210
    assert result['agreement'] >= 0.99, result
    assert result['max_prob_diff'] < 0.02, result


def test_int8_runs_in_the_inferencer(int8_export, toy_config, real_photos):
    """GlamorInferencer's ONNX Runtime backend runs the INT8 model: the
    same faces, and scores close to the FP32 model's."""
    from glamor_mm.apis import GlamorInferencer
    photo = real_photos['grace_hopper']['img']
    results = [
        GlamorInferencer(
            toy_config,
            onnx_file,
            detector='configs/face_detectors/dlib_hog.py',
            backend='onnxruntime')(photo)[0]['faces']
        for onnx_file in int8_export
    ]
    (fp32, ), (int8, ) = results
    assert int8['bbox'] == fp32['bbox']
    np.testing.assert_allclose(
        int8['pred_scores'], fp32['pred_scores'], atol=0.02)


def test_int8_needs_calibration_data(tool, toy_config, tiny_toy_opts,
                                     tmp_path, monkeypatch):
    out = tmp_path / 'model.onnx'
    monkeypatch.setattr(sys, 'argv', [
        'pytorch2onnx.py', toy_config,
        str(tmp_path / 'missing.pth'), '--out',
        str(out), '--int8', '--cfg-options'
    ] + tiny_toy_opts + [
        f'train_dataloader.dataset.data_root={tmp_path / "nowhere"}'
    ])
    with pytest.raises(ValueError, match='--int8 needs calibration data: '
                       '.*the train split cannot be read.*nowhere'):
        tool.main()
    assert not out.exists()
    monkeypatch.setattr(sys, 'argv', [
        'pytorch2onnx.py', toy_config, 'x.pth', '--out',
        str(out), '--calib-samples', '8'
    ])
    with pytest.raises(SystemExit):
        tool.parse_args()
