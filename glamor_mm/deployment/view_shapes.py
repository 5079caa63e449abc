"""The view shapes a config's test pipeline makes, for a fixed-shape export.

An exported graph takes views of one size, so it must be the size the test
pipeline (the one ``GlamorInferencer`` runs) makes. The pipeline is run,
without its loading step, on blank pictures of two sizes: a view whose
shape is the same for both has that fixed shape; a view whose shape
follows the picture's (no resize or crop) needs it given.
"""
from typing import Optional, Sequence, Tuple

import numpy as np
from mmcv.transforms import Compose, LoadImageFromFile
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import TRANSFORMS

from glamor_mm.datasets.transforms import (DetectFace, PackTwoViewClipInputs,
                                           PackTwoViewInputs)

VIEWS = ('face', 'context')
# (H, W) of the two probe pictures and the face box in both.
_PROBE_SIZES = ((240, 320), (300, 200))
_PROBE_BOX = np.array([40, 40, 120, 140], dtype=np.float32)

Shape = Tuple[int, int, int]


def pipeline_view_shapes(cfg: Config,
                     face_hw: Optional[Sequence[int]] = None,
                     context_hw: Optional[Sequence[int]] = None,
                     config_name: str = 'the config') -> Tuple[Shape, Shape]:
    """The (C, H, W) of the face and context views of the test pipeline.

    Args:
        cfg (Config): A two-view image config (``test_dataloader``).
        face_hw (Sequence[int], optional): (H, W) of the face view, needed
            when the pipeline does not fix it. Defaults to None.
        context_hw (Sequence[int], optional): (H, W) of the context view,
            likewise. Defaults to None.
        config_name (str): Named in the errors. Defaults to 'the config'.

    Returns:
        tuple: (face (C, H, W), context (C, H, W)).

    Raises:
        NotImplementedError: For a clip (video) pipeline.
        ValueError: If the pipeline does not pack two views, a given size disagrees with the fixed one of the
            pipeline, or a view's size follows the picture's and is not
            given.
    """
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        transforms = [
            TRANSFORMS.build(t) for t in cfg.test_dataloader.dataset.pipeline
        ]
    if any(isinstance(t, PackTwoViewClipInputs) for t in transforms):
        raise NotImplementedError(
            f'{config_name}: clip models are not supported yet: ONNX export '
            'takes two-view image models (PackTwoViewInputs), this test '
            'pipeline packs clips (PackTwoViewClipInputs).')
    if not any(isinstance(t, PackTwoViewInputs) for t in transforms):
        raise ValueError(
            f'{config_name}: not a two-view model: its test pipeline does '
            'not pack face and context views (PackTwoViewInputs); the '
            'exporter takes GlamorClassifier models (one-stream ones too).')
    pipeline = Compose([
        t for t in transforms
        if not isinstance(t, (LoadImageFromFile, DetectFace))
    ])
    probes = []
    for height, width in _PROBE_SIZES:
        packed = pipeline(
            dict(
                img=np.zeros((height, width, 3), np.uint8),
                img_shape=(height, width),
                ori_shape=(height, width),
                face_bbox=_PROBE_BOX))['inputs']
        probes.append({view: tuple(packed[view].shape) for view in VIEWS})
    shapes = []
    for view, given in zip(VIEWS, (face_hw, context_hw)):
        first, second = probes[0][view], probes[1][view]
        fixed = first if first == second else None
        if given is not None:
            shape = (first[0], *map(int, given))
            if fixed is not None and shape != fixed:
                raise ValueError(
                    f'{config_name}: the test pipeline makes '
                    f'{_text(fixed)} {view} views; the given {view} size '
                    f'{_text(shape)} disagrees (leave it out).')
        elif fixed is None:
            raise ValueError(
                f'{config_name}: the test pipeline does not fix the size of '
                f'the {view} view (it follows the picture\'s: '
                f'{_text(first)} from a {_PROBE_SIZES[0]} picture, '
                f'{_text(second)} from a {_PROBE_SIZES[1]} one); give it '
                f'(--{view}-size H W of pytorch2onnx.py), the size of your '
                f'pictures\' {view} views.')
        else:
            shape = fixed
        shapes.append(shape)
    return shapes[0], shapes[1]


def face_crop_shape(cfg: Config) -> Shape:
    """The (C, H, W) of the face crop a face-only classifier's test pipeline
    packs (``PackInputs(input_key='face_img')``), e.g. (1, 64, 64).

    Args:
        cfg (Config): The classifier's config (``test_dataloader``).

    Returns:
        tuple: (C, H, W) of the packed face.

    Raises:
        ValueError: If the packed face's size follows the picture's.
    """
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        pipeline = Compose([
            t for t in map(TRANSFORMS.build,
                           cfg.test_dataloader.dataset.pipeline)
            if not isinstance(t, (LoadImageFromFile, DetectFace))
        ])
        shapes = {
            tuple(
                pipeline(
                    dict(
                        img=np.zeros((height, width, 3), np.uint8),
                        img_shape=(height, width),
                        ori_shape=(height, width),
                        face_bbox=_PROBE_BOX))['inputs'].shape)
            for height, width in _PROBE_SIZES
        }
    if len(shapes) != 1:
        raise ValueError('The test pipeline does not fix the size of the '
                         f'face crop: {sorted(shapes)}.')
    return shapes.pop()


def _text(shape: Sequence[int]) -> str:
    """'3x96x96'."""
    return 'x'.join(map(str, shape))
