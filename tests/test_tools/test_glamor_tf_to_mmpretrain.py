"""tools/model_converters/glamor_tf_to_mmpretrain.py on a real TF checkpoint.

The TensorFlow model below is written from the structure of ``GLAMORNet``
in github.com/minhnhatvt/glamor-net (model.py) with Keras layers, and the
reference preprocessing from its ``predict.py``. Keras 3 names a Dense or
Conv2D kernel ``_kernel`` in the object graph where the authors' Keras 2
wrote ``kernel``, so the checkpoint is written from ``tf.Module`` mirrors
that hold the same variables under the authors' names (their keys, e.g.
``FaceEncodingNet/blocks/0/conv/kernel/.ATTRIBUTES/VARIABLE_VALUE``).
"""
import importlib.util
import os
import os.path as osp
import shutil
import sys

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope
from mmpretrain.apis import init_model
from mmpretrain.registry import TRANSFORMS

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO_ROOT, 'tools', 'model_converters',
                'glamor_tf_to_mmpretrain.py')
CONFIG = osp.join(REPO_ROOT, 'configs', 'glamor',
                  'glamor_original_tf-authors_ncaers.py')
HOG_CFG = osp.join(REPO_ROOT, 'configs', 'face_detectors', 'dlib_hog.py')
FACE_BOX = [175, 80, 345, 330]  # Grace Hopper's face, x2/y2 exclusive


def load_tool():
    spec = importlib.util.spec_from_file_location('glamor_tf_converter', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_authors_model(tf):
    """GLAMORNet of the authors' model.py with random weights; returns
    (forward function, {checkpoint name: tf.Module}).

    The BN statistics are those of a random batch, perturbed, so that the
    outputs depend on the input about as much as a trained model's do.
    """
    layers = tf.keras.layers
    tf.keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    calibrating = [True]

    def mirror(**variables):
        module = tf.Module()
        for name, variable in variables.items():
            setattr(module, name, variable.value)
        return module

    def uniform(low, high, shape):
        return rng.uniform(low, high, shape).astype('f4')

    def randomize(layer):
        for variable in layer.weights:
            if 'kernel' not in variable.path:
                low = 0.5 if 'gamma' in variable.path else -0.2
                variable.assign(uniform(low, low + 0.4, variable.shape))

    def normalize(layer, x):
        if calibrating[0]:
            mean, var = tf.nn.moments(x, list(range(len(x.shape) - 1)))
            layer.moving_mean.assign(mean + 0.1 * tf.sqrt(var) * uniform(
                -1, 1, mean.shape))
            layer.moving_variance.assign(var * uniform(0.5, 1.5, var.shape))
        return layer(x, training=False)

    def dense(units, inputs, activation=None):
        layer = layers.Dense(units, activation=activation)
        layer.build((None, inputs))
        randomize(layer)
        return layer, mirror(kernel=layer.kernel, bias=layer.bias)

    def bn(shape):
        layer = layers.BatchNormalization()
        layer.build(shape)
        randomize(layer)
        return layer, mirror(
            gamma=layer.gamma,
            beta=layer.beta,
            moving_mean=layer.moving_mean,
            moving_variance=layer.moving_variance)

    def encoder():
        blocks, mirrors, channels = [], [], 3
        for i, width in enumerate((32, 64, 128, 256, 256)):
            conv = layers.Conv2D(width, 3, padding='same')
            conv.build((None, None, None, channels))
            randomize(conv)
            norm, norm_mirror = bn((None, None, None, width))
            blocks.append((conv, norm, i < 4))
            block = tf.Module()
            block.conv = mirror(kernel=conv.kernel, bias=conv.bias)
            block.bn = norm_mirror
            mirrors.append(block)
            channels = width
        net = tf.Module()
        net.blocks = mirrors

        def forward(x):
            for conv, norm, pool in blocks:
                x = tf.nn.relu(normalize(norm, conv(x)))
                if pool:
                    x = layers.MaxPool2D((2, 2))(x)
            return x

        return forward, net

    face_net, face_mirror = encoder()
    context_net, context_mirror = encoder()
    att1, att1_m = dense(128, 512, 'relu')
    att_bn, att_bn_m = bn((None, None, 128))
    att2, att2_m = dense(1, 128)
    fw1, fw1_m = dense(128, 256, 'relu')
    fw2, fw2_m = dense(1, 128)
    cw1, cw1_m = dense(128, 256, 'relu')
    cw2, cw2_m = dense(1, 128)
    fc1, fc1_m = dense(128, 512, 'relu')
    classify, classify_m = dense(7, 128, 'softmax')
    classify.kernel.assign(classify.kernel * 5)  # confident, like a trained one

    def forward(face, context):
        """NHWC inputs in [0, 1] -> probabilities, attention, weights."""
        face_vector = tf.reduce_mean(face_net(face), axis=[1, 2])
        context_map = context_net(context)
        n, h, w, c = context_map.shape
        regions = tf.reshape(context_map, (n, h * w, c))
        pairs = tf.concat(
            [tf.repeat(face_vector[:, None], h * w, axis=1), regions], -1)
        scores = att2(tf.nn.relu(normalize(att_bn, att1(pairs))))
        attention = tf.nn.softmax(scores, axis=1)
        context_vector = tf.reduce_sum(regions * attention, axis=1)
        weights = tf.nn.softmax(
            tf.concat([fw2(fw1(face_vector)),
                       cw2(cw1(context_vector))], -1))
        fused = tf.concat([
            face_vector * weights[:, :1], context_vector * weights[:, 1:]
        ], -1)
        probs = classify(layers.Dropout(0.5)(fc1(fused), training=False))
        return (probs.numpy(), tf.reshape(attention, (n, h, w)).numpy(),
                weights.numpy())

    forward(uniform(0, 1, (8, 96, 96, 3)), uniform(0, 1, (8, 112, 112, 3)))
    calibrating[0] = False
    return forward, dict(
        FaceEncodingNet=face_mirror,
        ContextEncodingNet=context_mirror,
        attention_fc1=att1_m,
        attention_fc1_bn=att_bn_m,
        attention_fc2=att2_m,
        face_weight1=fw1_m,
        face_weight2=fw2_m,
        context_weight1=cw1_m,
        context_weight2=cw2_m,
        final_fc1=fc1_m,
        final_classify=classify_m)


def write_checkpoint(tf, prefix, objects):
    """Write ``objects`` in several shards, as the authors' file has."""
    options = tf.train.CheckpointOptions(
        experimental_sharding_callback=tf.train.experimental.
        MaxShardSizePolicy(max_shard_size=4 << 20))
    tf.train.Checkpoint(**objects).write(str(prefix), options=options)
    return str(prefix)


def authors_preprocess(tf, img_path, box, dct_method=''):
    """predict.py's predict_preprocess on cv2.imread's picture (NHWC).

    ``dct_method='INTEGER_ACCURATE'`` decodes the JPEG with the IDCT that
    OpenCV uses instead of TF's default fast one.
    """
    image = cv2.imread(img_path)[:, :, ::-1]
    h, w = image.shape[:2]
    x1, x2 = (int(np.clip(v, 0, w)) for v in box[::2])
    y1, y2 = (int(np.clip(v, 0, h)) for v in box[1::2])
    face = tf.image.resize(image[y1:y2, x1:x2], [96, 96]) / 255
    mask = np.ones_like(image)
    mask[y1:y2, x1:x2] = 0
    context = tf.image.decode_jpeg(
        tf.image.encode_jpeg(image * mask), dct_method=dct_method)
    context = tf.image.convert_image_dtype(context, tf.float32)
    context = tf.image.resize(context, [128, 171])[8:120, 29:141]
    return face[None], context[None]


@pytest.fixture(scope='module')
def authors(tmp_path_factory):
    """The TF model, its checkpoint and its conversion (shared: importing
    TensorFlow and building the model take most of this module's time)."""
    os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
    import tensorflow as tf
    folder = tmp_path_factory.mktemp('glamor_tf')
    forward, objects = build_authors_model(tf)
    prefix = write_checkpoint(tf, folder / 'weights' / 'Model', objects)
    dst = str(folder / 'converted.pth')
    argv = sys.argv
    sys.argv = [TOOL, prefix, dst, '--config', CONFIG]
    try:
        load_tool().main()
    finally:
        sys.argv = argv
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = init_model(CONFIG, dst, device='cpu')
    return dict(
        tf=tf,
        forward=forward,
        objects=objects,
        prefix=prefix,
        dst=dst,
        model=model.eval())


def relative_error(mine, theirs):
    return float(np.abs(mine - theirs).max() / np.abs(theirs).max())


def test_checkpoint_has_the_authors_layout(authors):
    prefix = authors['prefix']
    names = authors['tf'].train.load_checkpoint(
        prefix).get_variable_to_shape_map()
    assert names['FaceEncodingNet/blocks/0/conv/kernel/.ATTRIBUTES/'
                 'VARIABLE_VALUE'] == [3, 3, 3, 32]
    assert 'ContextEncodingNet/blocks/4/bn/moving_variance/.ATTRIBUTES/' \
        'VARIABLE_VALUE' in names
    assert '_CHECKPOINTABLE_OBJECT_GRAPH' in names
    shards = [f for f in os.listdir(osp.dirname(prefix)) if '.data-' in f]
    assert len(shards) >= 2


def test_same_tensors_give_tensorflows_outputs(authors, capsys):
    rng = np.random.default_rng(1)
    face = rng.uniform(0, 1, (2, 96, 96, 3)).astype('f4')
    context = rng.uniform(0, 1, (2, 112, 112, 3)).astype('f4')
    probs, attention, weights = authors['forward'](face, context)
    model = authors['model']
    with torch.no_grad():
        feats = model.extract_feat(
            dict(
                face=torch.from_numpy(face).permute(0, 3, 1, 2),
                context=torch.from_numpy(context).permute(0, 3, 1, 2)))
        logits, our_weights = model.head.forward_with_weights(feats)
    for mine, theirs in ((logits.softmax(1), probs), (feats[2], attention),
                         (our_weights, weights)):
        assert tuple(mine.shape) == theirs.shape
        assert relative_error(mine.numpy(), theirs) <= 1e-5
    # the comparison is not between near-uniform outputs
    assert probs.max() > 0.3 and np.ptp(attention) > 0.01
    assert np.abs(weights[:, 0] - 0.5).max() > 0.01


def test_end_to_end_from_image_file(authors, real_photos):
    """Same file and face box: the config's pipeline vs. predict.py's."""
    tf, model = authors['tf'], authors['model']
    path = real_photos['grace_hopper']['path']
    cfg = Config.fromfile(CONFIG)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        pipeline = Compose(cfg.test_dataloader.dataset.pipeline)
    packed = pipeline(dict(img_path=path, face_bbox=FACE_BOX))
    data = model.data_preprocessor(
        dict(
            inputs={k: [v]
                    for k, v in packed['inputs'].items()},
            data_samples=[packed['data_samples']]))
    with torch.no_grad():
        ours = model.predict(**data)[0].pred_score.numpy()
    # predict.py with the JPEG decoded by the IDCT that OpenCV uses: the
    # same computation (rounding the resized views to uint8 would already
    # cost ~3e-3 here)
    accurate = authors['forward'](*authors_preprocess(
        tf, path, FACE_BOX, 'INTEGER_ACCURATE'))[0][0]
    assert np.abs(ours - accurate).max() <= 1e-4
    # predict.py as it is: TF's fast IDCT changes the context pixels by
    # about one level
    probs = authors['forward'](*authors_preprocess(tf, path, FACE_BOX))[0][0]
    print('\nend-to-end max |p - p_TF|: with the accurate IDCT',
          np.abs(ours - accurate).max(), ', with TF\'s default',
          np.abs(ours - probs).max())
    assert ours.argmax() == probs.argmax()
    masked = cv2.imread(path)
    x1, y1, x2, y2 = FACE_BOX
    masked[y1:y2, x1:x2] = 0
    ours_jpeg = TRANSFORMS.build(dict(type='MaskFace', jpeg_quality=95))(
        dict(img=masked, face_bbox=None))['img'][..., ::-1]
    tf_jpeg = tf.image.decode_jpeg(tf.image.encode_jpeg(masked[..., ::-1]))
    levels = np.abs(ours_jpeg.astype(int) - tf_jpeg.numpy())
    print('JPEG round trip, OpenCV vs TF: mean |difference|',
          levels.mean(), 'levels, max', levels.max())


def test_inferencer_with_the_converted_model(authors, real_photos):
    from glamor_mm.apis import GlamorInferencer
    path = real_photos['grace_hopper']['path']
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        inferencer = GlamorInferencer(
            CONFIG, authors['dst'], detector=HOG_CFG)
    result = inferencer(path)[0]
    assert len(result['faces']) == 1
    face = result['faces'][0]
    assert inferencer.classes[0] == 'Anger' and len(inferencer.classes) == 7
    box = [int(v) for v in face['bbox']]
    assert np.array_equal(box, face['bbox'])  # dlib's boxes are whole pixels
    probs = authors['forward'](*authors_preprocess(
        authors['tf'], path, box, 'INTEGER_ACCURATE'))[0][0]
    difference = np.abs(np.asarray(face['pred_scores']) - probs).max()
    print('\nGlamorInferencer max |p - p_TF| (accurate IDCT):', difference)
    assert difference <= 1e-4
    assert face['pred_class'] == inferencer.classes[probs.argmax()]


def test_bad_checkpoints_name_the_file(authors, tmp_path):
    tool, tf = load_tool(), authors['tf']
    prefix = authors['prefix']
    copy = tmp_path / 'Model'
    for f in os.listdir(osp.dirname(prefix)):
        shutil.copy(osp.join(osp.dirname(prefix), f), tmp_path / f)

    with pytest.raises(FileNotFoundError, match='nothing/Model.index'):
        tool.convert(str(tmp_path / 'nothing' / 'Model'), CONFIG)

    shard = sorted(tmp_path.glob('Model.data-*'))[-1]
    data = shard.read_bytes()
    shard.write_bytes(data[:len(data) // 2])  # truncated data shard
    with pytest.raises(ValueError, match=f'{copy}'):
        tool.convert(str(copy), CONFIG)
    shard.unlink()
    with pytest.raises(FileNotFoundError, match=f'Shard {shard} of '):
        tool.convert(str(copy), CONFIG)

    index = tmp_path / 'Model.index'
    index.write_bytes(index.read_bytes()[:50])  # truncated index
    shard.write_bytes(data)
    with pytest.raises(ValueError, match=f'cannot read checkpoint {copy}'):
        tool.convert(str(copy), CONFIG)

    other = tf.Module()
    other.kernel = tf.Variable(tf.zeros([3, 3, 3, 64]))
    resnet = write_checkpoint(tf, tmp_path / 'resnet' / 'ckpt',
                              dict(conv1=other))
    with pytest.raises(ValueError,
                       match=r'resnet/ckpt holds none of the variables .* '
                       r'but conv1/kernel.*another architecture'):
        tool.convert(resnet, CONFIG)

    extra = dict(authors['objects'], conv1=other)
    extended = write_checkpoint(tf, tmp_path / 'extra' / 'Model', extra)
    with pytest.raises(ValueError, match=r'extra/Model has variables that '
                       r".*: conv1/kernel"):
        tool.convert(extended, CONFIG)

    eight = tf.Module()
    eight.kernel = tf.Variable(tf.zeros([128, 8]))
    eight.bias = tf.Variable(tf.zeros([8]))
    wrong = write_checkpoint(tf, tmp_path / 'eight' / 'Model',
                             dict(authors['objects'], final_classify=eight))
    with pytest.raises(ValueError, match=r'eight/Model: variable '
                       r'final_classify/kernel has shape \[128, 8\]'):
        tool.convert(wrong, CONFIG)


def test_missing_tensorflow_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, 'tensorflow', None)
    with pytest.raises(ImportError, match='pip install tensorflow-cpu'):
        load_tool().import_tensorflow()


def test_config_context_crop_is_the_authors_rows_and_columns():
    """image[8:120, 29:141] of the 128x171 context, as predict.py crops."""
    cfg = Config.fromfile(CONFIG)
    crops = [
        t for t in cfg.test_dataloader.dataset.pipeline
        if t['type'] == 'CenterCrop'
    ]
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        crop = Compose(crops)
    img = np.arange(128 * 171, dtype=np.float32).reshape(128, 171, 1)
    out = crop(dict(img=img))['img']
    np.testing.assert_array_equal(out[..., 0], img[8:120, 29:141, 0])


def test_training_checkpoint_with_model_prefix_and_optimizer(authors, tmp_path):
    """train.py's tf.train.Checkpoint(step, optimizer, model): the same
    weights under ``model/``; step and optimizer variables are skipped."""
    tf = authors['tf']
    model = tf.Module()
    for name, obj in authors['objects'].items():
        setattr(model, name, obj)
    optimizer = tf.Module()
    optimizer.iter = tf.Variable(7)
    prefix = write_checkpoint(
        tf, tmp_path / 'ckpt-7',
        dict(step=tf.Variable(7), optimizer=optimizer, model=model))
    state_dict, _ = load_tool().convert(prefix, CONFIG)
    expected = authors['model'].state_dict()
    assert state_dict.keys() == expected.keys()
    for key, value in state_dict.items():
        assert torch.equal(value, expected[key]), key


def test_output_that_is_an_input_file_is_refused(authors, tmp_path,
                                                 monkeypatch):
    """The index or a data shard of the TensorFlow checkpoint, however the
    path is spelled, is not overwritten."""
    for f in os.listdir(osp.dirname(authors['prefix'])):
        shutil.copy(osp.join(osp.dirname(authors['prefix']), f), tmp_path / f)
    (tmp_path / 'sub').mkdir()
    files = sorted(tmp_path.glob('Model.*'))
    before = {f: f.read_bytes() for f in files}
    for dst in files:
        spelled = tmp_path / 'sub' / '..' / dst.name
        monkeypatch.setattr(sys, 'argv', [
            TOOL, str(tmp_path / 'Model.index'),
            str(spelled), '--config', CONFIG
        ])
        with pytest.raises(ValueError, match=f'The output {spelled} is the '
                           'input'):
            load_tool().main()
    assert {f: f.read_bytes() for f in files} == before
