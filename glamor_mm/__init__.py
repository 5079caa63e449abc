"""glamor_mm: GLAMOR-Net for context-aware emotion recognition on OpenMMLab.

Importing the package registers every component (models, datasets, transforms,
metrics, hooks and MMDet face detectors) into the OpenMMLab registries and
installs the safe checkpoint loader.
"""
from . import datasets, engine, evaluation, models, utils, visualization  # noqa: F401
from .version import __version__

__all__ = ['__version__']
