"""Run the face detectors in MMDet's scope without changing the caller's.

Building and running them is :mod:`glamor_mm.apis.face_detection`.
"""
import copy
import itertools
import os
from contextlib import contextmanager
from typing import Iterator, Optional

from mmengine.registry import DefaultScope

# Names of the scopes keep_default_scope creates, unique in a process.
_SCOPE_IDS = itertools.count()


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

    It does what ``DefaultScope.overwrite_default_scope`` does (a new
    current scope, then the scopes of before the block restored, including
    when the block created others) without its ``time.sleep`` that makes
    the new scope's name unique: on a busy CPU that sleep gives the core
    away for up to a scheduler slice (8 ms a call were measured), and the
    face detectors enter this block once per frame.

    Args:
        scope (str, optional): Scope inside the block; None: leave the
            scope as it is. Defaults to 'mmdet'.
    """
    if scope is None:
        yield
        return
    saved = copy.copy(DefaultScope._instance_dict)
    DefaultScope.get_instance(
        f'glamor_mm-{os.getpid()}-{next(_SCOPE_IDS)}', scope_name=scope)
    try:
        yield
    finally:
        DefaultScope._instance_dict = saved
