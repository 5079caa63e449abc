"""Build and run MMDet face detectors: the face-detection inference API.

The models (:mod:`glamor_mm.models.detectors`) are MMDet detectors; these
functions build one from its config, keep the caller's default scope, load
the weights with the checked loader and run it on images or arrays.
"""
import copy
import warnings
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

import numpy as np
import torch.nn as nn
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.registry import DefaultScope

from glamor_mm.checkpoint import load_checkpoint_checked
from glamor_mm.models.detectors import BaseDlibFaceDetector
from glamor_mm.utils import resolve_config_path

FaceDetections = Tuple[np.ndarray, np.ndarray]


def init_face_detector(config: Union[str, Path, Config],
                       checkpoint: Optional[str] = None,
                       device: str = 'cpu',
                       cfg_options: Optional[dict] = None) -> nn.Module:
    """``mmdet.apis.init_detector`` that keeps the global default scope and
    loads ``checkpoint`` with glamor_mm's checked loader.

    MMDet loads the weights non-strictly (a checkpoint of another detector
    gives a random one, with a log line); here they go through
    :func:`~glamor_mm.checkpoint.load_checkpoint_checked`, which
    fails on missing, unexpected, mis-shaped or mis-typed tensors. As in
    MMDet, the checkpoint's ``meta['dataset_meta']`` (keys in lower case)
    becomes the model's ``dataset_meta``.

    ``mmdet.apis.inference_detector`` builds the test pipeline of
    ``model.cfg`` in the *current* default scope, which this function keeps
    (it is not MMDet's). So the MMDet transform types of that pipeline
    (``'PackDetInputs'``...) are given MMDet's scope
    (``'mmdet.PackDetInputs'``), and ``inference_detector(model, img)``
    works afterwards, as in plain MMDet.

    Args:
        config (str | Path | Config): An MMDet config, e.g.
            ``configs/face_detectors/dlib_hog.py`` (a relative path not found
            in the working directory is looked up in glamor_mm's configs,
            see :func:`glamor_mm.utils.resolve_config_path`).
        checkpoint (str, optional): Weights (MMDet detectors); None for the
            dlib detectors. Defaults to None.
        device (str): Device. Defaults to 'cpu'.
        cfg_options (dict, optional): Config overrides. Defaults to None.

    Returns:
        nn.Module: The detector in eval mode, with ``cfg`` set and its test
        pipelines built once (:func:`face_test_pipelines`).
    """
    from mmdet.apis import init_detector
    from mmdet.registry import TRANSFORMS as DET_TRANSFORMS
    from mmdet.utils import get_test_pipeline_cfg
    if isinstance(config, (str, Path)):
        config = Config.fromfile(resolve_config_path(str(config)))
    scope = config.get('default_scope', 'mmdet')
    with DefaultScope.overwrite_default_scope(scope), \
            warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        model = init_detector(
            config, None, device=device, cfg_options=cfg_options)
        if checkpoint is not None:
            meta = load_checkpoint_checked(
                model, checkpoint, opt_in=None).get('meta') or {}
            model.dataset_meta.update({
                key.lower(): value
                for key, value in meta.get('dataset_meta', {}).items()
            })
    DET_TRANSFORMS.import_from_location()
    for transform in get_test_pipeline_cfg(model.cfg):
        # only MMDet's own ones: MMCV's (LoadImageFromFile) are found from
        # any scope, and not under an `mmdet.` prefix inside MMDet's scope
        if transform['type'] in DET_TRANSFORMS.module_dict:
            transform['type'] = f'mmdet.{transform["type"]}'
    for warning in caught:
        # dlib detectors keep their class 'face' (no COCO classes); MMDet
        # warns that checkpoint is None since the checkpoint loads here.
        if not ((isinstance(model, BaseDlibFaceDetector) or checkpoint)
                and 'COCO classes' in str(warning.message)):
            warnings.warn_explicit(warning.message, warning.category,
                                   warning.filename, warning.lineno)
    with DefaultScope.overwrite_default_scope(scope):
        face_test_pipelines(model)
    return model


def detect_faces(model: nn.Module,
                 imgs: Union[str, np.ndarray, List[Union[str, np.ndarray]]],
                 score_thr: float = 0.) -> List[FaceDetections]:
    """Detect faces with an MMDet detector (``inference_detector``).

    Args:
        model (nn.Module): A detector from :func:`init_face_detector`.
        imgs (str | np.ndarray | list): Image paths or BGR uint8 arrays of
            shape (H, W, 3) (MMCV's convention), or a list of them.
        score_thr (float): Detections below it are dropped. Defaults to 0.

    Returns:
        list[tuple[np.ndarray, np.ndarray]]: Per image, boxes of shape
        (K, 4) float32 ``x1, y1, x2, y2`` in original-image pixels and scores
        of shape (K,), sorted by decreasing score.
    """
    from mmdet.apis import inference_detector
    if not isinstance(imgs, (list, tuple)):
        imgs = [imgs]
    results = []
    pipelines = face_test_pipelines(model)
    with DefaultScope.overwrite_default_scope(
            model.cfg.get('default_scope', 'mmdet')):
        for img in imgs:
            pred = inference_detector(
                model,
                img,
                test_pipeline=pipelines[isinstance(img,
                                                   np.ndarray)]).pred_instances
            scores = pred.scores.cpu().numpy().astype(np.float32)
            bboxes = pred.bboxes.cpu().numpy().astype(np.float32)
            keep = np.flatnonzero(scores >= score_thr)
            keep = keep[np.argsort(-scores[keep], kind='stable')]
            results.append((bboxes[keep].reshape(-1, 4), scores[keep]))
    return results


def face_test_pipelines(model: nn.Module) -> Dict[bool, Compose]:
    """The detector's test pipelines, built on the first call and kept on
    the model (``model.face_test_pipelines``).

    Args:
        model (nn.Module): A detector with ``cfg``.

    Returns:
        dict[bool, Compose]: By "the input is an array": the pipeline that
        reads BGR arrays (True) and the one that reads files (False).
    """
    pipelines = getattr(model, 'face_test_pipelines', None)
    if pipelines is None:
        pipelines = {
            from_array: build_test_pipeline(model, from_array)
            for from_array in (False, True)
        }
        model.face_test_pipelines = pipelines
    return pipelines


def build_test_pipeline(model: nn.Module, from_array: bool) -> Compose:
    """The detector's test pipeline, reading files or BGR arrays.

    Unlike ``inference_detector``'s own pipeline building (which edits the
    loading step of ``model.cfg`` in place, so that a model once called on an
    array can no longer read files), the config is copied.

    Args:
        model (nn.Module): A detector with ``cfg``.
        from_array (bool): Read arrays (``LoadImageFromNDArray``) instead
            of files.

    Returns:
        Compose: The pipeline.
    """
    from mmdet.utils import get_test_pipeline_cfg
    pipeline = copy.deepcopy(get_test_pipeline_cfg(model.cfg))
    if from_array:
        pipeline[0]['type'] = 'mmdet.LoadImageFromNDArray'
    return Compose(pipeline)


def select_face(bboxes: np.ndarray,
                scores: np.ndarray,
                select: str = 'score') -> Optional[int]:
    """Index of the face used as *the* face of a picture.

    Args:
        bboxes (np.ndarray): Boxes of shape (K, 4).
        scores (np.ndarray): Scores of shape (K,).
        select (str): ``'score'`` (most confident) or ``'area'`` (largest
            box). Defaults to 'score'.

    Returns:
        int | None: The index, or None when there is no box.
    """
    if select not in ('score', 'area'):
        raise ValueError(f"select must be 'score' or 'area', got {select!r}.")
    if len(bboxes) == 0:
        return None
    if select == 'score':
        return int(np.argmax(scores))
    areas = (bboxes[:, 2] - bboxes[:, 0]) * (bboxes[:, 3] - bboxes[:, 1])
    return int(np.argmax(areas))
