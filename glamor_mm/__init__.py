"""glamor_mm: GLAMOR-Net for context-aware emotion recognition on OpenMMLab.

Importing the package checks the versions of mmcv, mmengine and mmpretrain
(``VERSION_RANGES``; mmdet's when the face detectors are imported), as
MMPretrain's ``__init__`` does. It registers the classifier side (models,
datasets, transforms, metrics, hooks, ``GlamorRunner``) into the OpenMMLab
registries under new names, without importing MMDetection, and changes
nothing of MMEngine or MMPretrain: configs opt in to the checked checkpoint
handling (``runner_type='GlamorRunner'``, ``SafeCheckpointHook``,
``StrictPretrained``). The MMDet face detectors
register when ``glamor_mm.models.detectors`` is imported: by the face-detector
configs (``custom_imports``), ``glamor_mm.apis`` and the ``DetectFace``
transform. The layers depend one way: ``models`` <- ``datasets`` <- ``apis``.
"""
import mmcv
import mmengine
import mmpretrain
from mmengine.utils import digit_version

from .version import __version__

# [minimum, maximum) of the OpenMMLab packages glamor_mm is tested with. The
# ranges are narrow because GlamorRunner and SafeCheckpointHook subclass
# MMEngine's Runner and CheckpointHook, whose internals change between minor
# versions.
VERSION_RANGES = {
    'mmcv': ('2.0.0', '2.2.0'),
    'mmengine': ('0.10.0', '0.11.0'),
    'mmpretrain': ('1.2.0', '1.3.0'),
    'mmdet': ('3.3.0', '3.4.0'),
}


def check_version(package: str, version: str) -> None:
    """Stop with a clear message when ``package`` is outside its range.

    Args:
        package (str): A key of :data:`VERSION_RANGES`.
        version (str): Its installed version, e.g. ``mmcv.__version__``.

    Raises:
        AssertionError: The version is outside ``VERSION_RANGES[package]``;
            the message names the installed and the required versions.
    """
    minimum, maximum = VERSION_RANGES[package]
    assert (digit_version(minimum) <= digit_version(version) <
            digit_version(maximum)), (
                f'{package}=={version} is used but incompatible with '
                f'glamor_mm {__version__}. Please install '
                f'{package}>={minimum}, <{maximum} '
                '(bash tools/setup_env.sh installs the tested versions).')


check_version('mmcv', mmcv.__version__)
check_version('mmengine', mmengine.__version__)
check_version('mmpretrain', mmpretrain.__version__)

from . import (checkpoint, datasets, engine, evaluation,  # noqa: E402,F401
               models, utils, visualization)

__all__ = ['__version__', 'VERSION_RANGES', 'check_version']
