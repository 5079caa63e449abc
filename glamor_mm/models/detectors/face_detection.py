"""Run the face detectors in MMDet's scope without changing the caller's.

Building and running them is :mod:`glamor_mm.apis.face_detection`.
"""
from contextlib import contextmanager
from typing import Iterator, Optional

from mmengine.registry import DefaultScope


@contextmanager
def keep_default_scope(scope: Optional[str] = 'mmdet') -> Iterator[None]:
    """Run a block in MMEngine's ``scope`` and restore the previous scope.

    ``mmdet.apis.init_detector`` and ``DetInferencer`` call
    ``init_default_scope('mmdet')``, which leaves MMDet as the *global*
    default scope: afterwards ``MODELS.build(dict(type='ResNet'))`` or a
    Runner of a ``default_scope='mmpretrain'`` config would resolve names in
    MMDet's registries. Like mmpose's inferencers, glamor_mm builds and runs
    face detectors inside this context so that the classifier side of the
    same process keeps its scope.

    Args:
        scope (str, optional): Scope inside the block. Defaults to 'mmdet'.
    """
    with DefaultScope.overwrite_default_scope(scope):
        yield
