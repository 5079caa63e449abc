"""glamor_mm: GLAMOR-Net for context-aware emotion recognition on OpenMMLab.

Importing the package registers the classifier side (models, datasets,
transforms, metrics, hooks) into the OpenMMLab registries and installs the safe
checkpoint loader, without importing MMDetection. The MMDet face detectors
register when ``glamor_mm.models.detectors`` is imported: by the face-detector
configs (``custom_imports``), ``glamor_mm.apis`` and the ``DetectFace``
transform. The layers depend one way: ``models`` <- ``datasets`` <- ``apis``.
"""
from . import datasets, engine, evaluation, models, utils, visualization  # noqa: F401
from .version import __version__

__all__ = ['__version__']
