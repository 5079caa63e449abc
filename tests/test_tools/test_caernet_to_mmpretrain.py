"""tools/model_converters/caernet_to_mmpretrain.py on a CAER trainer file.

The reference below is written from the structure of ``CAERSNet`` in
github.com/ndkhanh360/CAER (CAER/model/model.py): module names, layer order,
average pooling, the BatchNorm1d on both vectors and the fusion network.
"""
import importlib.util
import os
import os.path as osp
import sys
import textwrap

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.runner import load_checkpoint
from mmpretrain.registry import MODELS

from glamor_mm.checkpoint.conversion import InertObject, load_foreign_checkpoint

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO_ROOT, 'tools', 'model_converters',
                'caernet_to_mmpretrain.py')
CONFIG = osp.join(REPO_ROOT, 'configs', 'baselines',
                  'caernet-s_original_pytorch-caer_caers.py')


class RefEncoder(nn.Module):
    """conv -> BN -> ReLU per layer, 2x2 max-pool after all but the last."""

    def __init__(self, widths, pool=True):
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv2d(i, o, 3, padding=1)
            for i, o in zip(widths[:-1], widths[1:]))
        self.bn = nn.ModuleList(nn.BatchNorm2d(o) for o in widths[1:])
        self.pool = pool

    def forward(self, x):
        for i, (conv, bn) in enumerate(zip(self.convs, self.bn)):
            x = F.relu(bn(conv(x)))
            if self.pool and i < len(self.convs) - 1:
                x = F.max_pool2d(x, 2)
        return x


class RefTwoStream(nn.Module):

    def __init__(self):
        super().__init__()
        widths = [3, 32, 64, 128, 256, 256]
        self.face_encoding_module = RefEncoder(widths)
        self.context_encoding_module = RefEncoder(widths)
        self.attention_inference_module = RefEncoder([256, 128, 1], False)


class RefFusion(nn.Module):

    def __init__(self):
        super().__init__()
        self.face_bn, self.context_bn = nn.BatchNorm1d(256), nn.BatchNorm1d(256)
        self.face_1, self.face_2 = nn.Linear(256, 128), nn.Linear(128, 1)
        self.context_1 = nn.Linear(256, 128)
        self.context_2 = nn.Linear(128, 1)
        self.fc1, self.fc2 = nn.Linear(512, 128), nn.Linear(128, 7)


class RefCAERSNet(nn.Module):
    """Returns logits, the attention map and the fusion weights."""

    def __init__(self):
        super().__init__()
        self.two_stream_net = RefTwoStream()
        self.fusion_net = RefFusion()

    def forward(self, face, context):
        streams, fusion = self.two_stream_net, self.fusion_net
        face = streams.face_encoding_module(face)
        context = streams.context_encoding_module(context)
        attn = streams.attention_inference_module(context)
        n, _, h, w = attn.shape
        attn = attn.view(n, -1).softmax(-1).view(n, 1, h, w)
        context = context * attn
        face = F.avg_pool2d(face, face.shape[2]).flatten(1)
        context = F.avg_pool2d(context, context.shape[2]).flatten(1)
        face, context = fusion.face_bn(face), fusion.context_bn(context)
        weights = torch.cat([
            fusion.face_2(F.relu(fusion.face_1(face))),
            fusion.context_2(F.relu(fusion.context_1(context)))
        ], -1).softmax(-1)
        fused = torch.cat([face * weights[:, :1], context * weights[:, 1:]],
                          -1)
        return fusion.fc2(F.relu(fusion.fc1(fused))), attn.view(n, h, w), \
            weights


# The trainer pickles `config`, an instance of the repository's own
# parse_config.ConfigParser. This stand-in leaves a marker file if any of
# its code runs when the checkpoint is loaded.
PARSE_CONFIG = '''
import pathlib


def leave_marker(path):
    pathlib.Path(path).write_text('code from the checkpoint ran')
    return path


class Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return leave_marker, (self.marker, )


class ConfigParser:
    def __init__(self, config, marker):
        self._config = config
        self.marker = marker
        self.payload = Payload(marker)
        self._save_dir = pathlib.Path('saved/models')

    def __setstate__(self, state):
        leave_marker(state['marker'])
        self.__dict__.update(state)
'''


def randomize_bn(model, generator):
    """Give every BN non-trivial statistics and affine parameters."""
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            c = module.num_features
            module.running_mean.copy_(torch.randn(c, generator=generator))
            module.running_var.copy_(
                torch.rand(c, generator=generator) * 2 + 0.5)
            module.weight.data.copy_(
                torch.rand(c, generator=generator) + 0.5)
            module.bias.data.copy_(torch.randn(c, generator=generator))
            module.num_batches_tracked.fill_(123)


@pytest.fixture(scope='module')
def reference():
    torch.manual_seed(0)
    model = RefCAERSNet()
    with torch.no_grad():
        randomize_bn(model, torch.Generator().manual_seed(1))
    return model.eval()


def make_trainer_checkpoint(tmp_path,
                            state_dict,
                            marker,
                            arch_args=None,
                            legacy=False):
    """Save a checkpoint like the CAER trainer's ``_save_checkpoint``;
    ``legacy``: in the format of torch < 1.6 (the repository pins 1.5)."""
    module_dir = tmp_path / 'their_repo'
    module_dir.mkdir(exist_ok=True)
    (module_dir / 'parse_config.py').write_text(textwrap.dedent(PARSE_CONFIG))
    sys.path.insert(0, str(module_dir))
    try:
        import parse_config
        params = [torch.zeros(3, requires_grad=True)]
        optimizer = torch.optim.SGD(params, lr=0.01, momentum=0.9)
        params[0].grad = torch.ones(3)
        optimizer.step()
        config = parse_config.ConfigParser(
            dict(
                name='CAERS_Session',
                arch=dict(type='CAERSNet', args=arch_args or {})),
            str(marker))
        path = tmp_path / 'model_best.pth'
        torch.save(
            dict(
                arch='CAERSNet',
                epoch=7,
                state_dict=state_dict,
                optimizer=optimizer.state_dict(),
                monitor_best=np.float64(0.7681),
                config=config),
            path,
            _use_new_zipfile_serialization=not legacy)
    finally:
        sys.path.remove(str(module_dir))
        sys.modules.pop('parse_config', None)
    return path


def load_tool():
    spec = importlib.util.spec_from_file_location('caernet_converter', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_tool(monkeypatch, *args):
    monkeypatch.setattr(sys, 'argv', [TOOL, *map(str, args)])
    load_tool().main()


def build_converted(dst):
    cfg = Config.fromfile(CONFIG)
    model = MODELS.build(cfg.model)
    checkpoint = load_checkpoint(model, str(dst), strict=True)
    return model.eval(), checkpoint


@pytest.mark.parametrize('legacy', [False, True], ids=['zip', 'torch<1.6'])
def test_trainer_checkpoint_converts_exactly_without_running_its_code(
        tmp_path, monkeypatch, capsys, reference, legacy):
    marker = tmp_path / 'MARKER'
    src = make_trainer_checkpoint(
        tmp_path, reference.state_dict(), marker, legacy=legacy)
    dst = tmp_path / 'converted.pth'
    run_tool(monkeypatch, src, dst, '--config', CONFIG)
    assert not marker.exists(), 'the checkpoint ran code while converting'
    out = capsys.readouterr().out
    assert ('fusion_net.face_bn.running_var -> '
            'head.vector_norms.face.running_var (256,)') in out
    assert ('two_stream_net.attention_inference_module.convs.0.bias -> '
            'folded into neck.attention.0.bn.running_mean') in out

    model, checkpoint = build_converted(dst)
    assert checkpoint['meta']['dataset_meta']['classes'] == [
        'Anger', 'Disgust', 'Fear', 'Happy', 'Neutral', 'Sad', 'Surprise'
    ]
    generator = torch.Generator().manual_seed(2)
    face = torch.randn(3, 3, 96, 96, generator=generator)
    context = torch.randn(3, 3, 112, 112, generator=generator)
    with torch.no_grad():
        logits, attn, weights = reference(face, context)
        feats = model.extract_feat(dict(face=face, context=context))
        ours, our_weights = model.head.forward_with_weights(feats)
    for theirs, mine in ((logits, ours), (attn, feats[2]),
                         (weights, our_weights)):
        assert mine.shape == theirs.shape
        assert (mine - theirs).abs().max() <= 1e-5 * theirs.abs().max()
    assert (weights[:, 0] - weights[:, 1]).abs().min() > 0  # not all 0.5

    # control: a plain unpickle of the same file does run its code
    sys.path.insert(0, str(tmp_path / 'their_repo'))
    try:
        torch.load(src, weights_only=False)
    finally:
        sys.path.remove(str(tmp_path / 'their_repo'))
        sys.modules.pop('parse_config', None)
    assert marker.exists()


def test_safe_loader_returns_config_as_inert_record(tmp_path, reference):
    marker = tmp_path / 'MARKER'
    src = make_trainer_checkpoint(tmp_path, {'x': torch.ones(2)}, marker,
                                  dict(use_face=True))
    checkpoint = load_foreign_checkpoint(str(src))
    config = checkpoint['config']
    assert isinstance(config, InertObject)
    assert config.target == 'parse_config.ConfigParser'
    assert config.state['_config']['arch']['args'] == {'use_face': True}
    assert isinstance(config.state['payload'], InertObject)
    assert config.state['payload'].target == 'parse_config.leave_marker'
    assert config.state['payload'].args == (str(marker), )
    torch.testing.assert_close(checkpoint['state_dict']['x'], torch.ones(2))
    assert checkpoint['arch'] == 'CAERSNet' and checkpoint['epoch'] == 7
    assert not marker.exists()


def test_bare_state_dict_and_data_parallel_prefix(tmp_path, monkeypatch,
                                                  reference):
    src = tmp_path / 'bare.pth'
    torch.save({f'module.{k}': v
                for k, v in reference.state_dict().items()}, src)
    run_tool(monkeypatch, src, tmp_path / 'out.pth', '--config', CONFIG)
    model, _ = build_converted(tmp_path / 'out.pth')
    torch.testing.assert_close(
        model.head.classifier[3].weight,
        reference.fusion_net.fc2.weight,
        rtol=0,
        atol=0)


def test_bad_inputs_name_the_file(tmp_path, monkeypatch, reference):
    tool = load_tool()
    missing = tmp_path / 'nope.pth'
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        run_tool(monkeypatch, missing, tmp_path / 'o.pth', '--config',
                 CONFIG)

    good = tmp_path / 'good.pth'
    torch.save(reference.state_dict(), good)
    truncated = tmp_path / 'truncated.pth'
    truncated.write_bytes(good.read_bytes()[:100000])
    with pytest.raises(ValueError, match='truncated.pth'):
        run_tool(monkeypatch, truncated, tmp_path / 'o.pth', '--config',
                 CONFIG)
    torch.save(
        reference.state_dict(), good, _use_new_zipfile_serialization=False)
    truncated.write_bytes(good.read_bytes()[:100000])
    with pytest.raises(ValueError, match='truncated.pth'):
        run_tool(monkeypatch, truncated, tmp_path / 'o.pth', '--config',
                 CONFIG)
    not_torch = tmp_path / 'notes.txt'
    not_torch.write_text('not a checkpoint')
    with pytest.raises(ValueError, match='notes.txt'):
        run_tool(monkeypatch, not_torch, tmp_path / 'o.pth', '--config',
                 CONFIG)

    other = tmp_path / 'resnet.pth'
    torch.save(
        dict(arch='ResNet', state_dict=dict(w=torch.ones(1))), other)
    with pytest.raises(ValueError, match=r"resnet.pth is a checkpoint of "
                       r"'ResNet'"):
        run_tool(monkeypatch, other, tmp_path / 'o.pth', '--config', CONFIG)

    # CAERSNet's early variant with an InceptionResnetV1 face encoder
    facenet = dict(reference.state_dict())
    facenet['two_stream_net.face_encoding_module.conv2d_1a.conv.weight'] = (
        torch.zeros(32, 3, 3, 3))
    with pytest.raises(ValueError, match=r'facenet.pth: tensor two_stream_'
                       r'net.face_encoding_module.conv2d_1a.conv.weight'):
        tool.convert(facenet, 'facenet.pth')

    # a tensor of the right name but the wrong size
    small = dict(reference.state_dict())
    small['fusion_net.fc2.weight'] = torch.zeros(8, 128)
    small['fusion_net.fc2.bias'] = torch.zeros(8)
    small_file = tmp_path / 'eight_classes.pth'
    torch.save(small, small_file)
    with pytest.raises(ValueError, match=r'eight_classes.pth.*wrong shape: '
                       r'head.classifier.3.weight \(8, 128\)'):
        run_tool(monkeypatch, small_file, tmp_path / 'o.pth', '--config',
                 CONFIG)

    concat = make_trainer_checkpoint(tmp_path, reference.state_dict(),
                                     tmp_path / 'M', dict(concat=True))
    with pytest.raises(ValueError, match="model_best.pth was trained as "
                       r"CAERSNet\(\{'concat': True\}\)"):
        run_tool(monkeypatch, concat, tmp_path / 'o.pth', '--config', CONFIG)
    assert not (tmp_path / 'o.pth').exists()


def test_config_pipeline_equals_its_torchvision_transforms(tmp_path):
    """The config's test pipeline + preprocessor vs. the CAER code's PIL
    and torchvision steps (data_loaders.py MyDataset, util.py
    get_transform(train=False)), with a face box that leaves the image."""
    import cv2
    from mmengine.dataset import Compose
    from mmengine.registry import DefaultScope
    from PIL import Image, ImageDraw
    from torchvision import transforms as T

    rng = np.random.default_rng(0)
    rgb = cv2.GaussianBlur(
        rng.integers(0, 256, (150, 260, 3), dtype=np.uint8), (7, 7), 0)
    path = str(tmp_path / 'frame.png')
    cv2.imwrite(path, rgb[..., ::-1])
    box = (-12, 30, 70, 118)  # x1, y1, x2, y2 of a face at the left edge

    im = Image.open(path)
    face = im.crop(box)
    ImageDraw.Draw(im).rectangle(box, fill=(0, 0, 0))
    normalize = T.Compose([
        T.ToTensor(),
        T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    ])
    theirs = dict(
        face=normalize(T.Resize((96, 96))(face).convert('RGB')),
        context=normalize(
            T.CenterCrop(112)(T.Resize((128, 171))(im)).convert('RGB')))

    cfg = Config.fromfile(CONFIG)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        pipeline = Compose(cfg.test_dataloader.dataset.pipeline)
        preprocessor = MODELS.build(cfg.data_preprocessor)
    packed = pipeline(dict(img_path=path, face_bbox=list(box)))
    ours = preprocessor(
        dict(inputs={k: [v]
                     for k, v in packed['inputs'].items()}))['inputs']
    for view in ('face', 'context'):
        torch.testing.assert_close(
            ours[view][0], theirs[view], rtol=0, atol=1e-5)


def test_output_that_is_the_input_or_a_folder_is_refused(
        tmp_path, monkeypatch, reference, flip_checkpoint_byte):
    """The same file through another spelling, a symbolic or a hard link
    used to replace the source; a folder left a .tmp file behind."""
    src = tmp_path / 'model_best.pth'
    torch.save(reference.state_dict(), src)
    original = src.read_bytes()
    (tmp_path / 'sub').mkdir()
    link = tmp_path / 'link.pth'
    link.symlink_to(src)
    hard = tmp_path / 'hard.pth'
    os.link(src, hard)
    for dst in (tmp_path / 'sub' / '..' / 'model_best.pth', link, hard):
        with pytest.raises(ValueError, match=f'The output {dst} is the input '
                           f'{src} '):
            run_tool(monkeypatch, src, dst, '--config', CONFIG)
        assert src.read_bytes() == original
    with pytest.raises(IsADirectoryError, match='sub is a folder'):
        run_tool(monkeypatch, src, tmp_path / 'sub', '--config', CONFIG)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        'hard.pth', 'link.pth', 'model_best.pth', 'sub'
    ]
    assert not list((tmp_path / 'sub').iterdir())

    # a byte flipped in the source is refused like in every other load
    flip_checkpoint_byte(str(src))
    with pytest.raises(ValueError, match='model_best.pth: the CRC-32'):
        run_tool(monkeypatch, src, tmp_path / 'o.pth', '--config', CONFIG)
    assert not (tmp_path / 'o.pth').exists()


def test_a_failed_save_leaves_no_temporary_file(tmp_path, reference,
                                                monkeypatch):
    """Any error while writing (here: the rename) removes the temporary
    file."""
    src = tmp_path / 'model_best.pth'
    torch.save(reference.state_dict(), src)

    def fail(*args):
        raise OSError('disk gone')

    monkeypatch.setattr(os, 'replace', fail)
    with pytest.raises(OSError, match='disk gone'):
        run_tool(monkeypatch, src, tmp_path / 'out.pth', '--config', CONFIG)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['model_best.pth']
