"""Emotion dataset from an MMEngine-format annotation file."""
from typing import List, Tuple

from mmpretrain.registry import DATASETS

from .base_emotion_dataset import BaseEmotionDataset, parse_face_bbox


@DATASETS.register_module()
class EmotionAnnotationDataset(BaseEmotionDataset):
    """Emotion dataset read from an OpenMMLab 2.0 annotation file.

    This is the format written by the face-detection tool (boxes precomputed
    once, like mmpose's ``bbox_file``)::

        {
            "metainfo": {"classes": ["Anger", ..., "Surprise"]},
            "data_list": [
                {"img_path": "train/Anger/0001.png", "gt_label": 0,
                 "face_bbox": [120.0, 43.0, 210.0, 133.0]},
                {"img_path": "train/Anger/0002.png", "gt_label": 0,
                 "face_bbox": null},
                ...
            ]
        }

    ``img_path`` is relative to ``data_prefix`` (or absolute); ``face_bbox``
    is ``x1, y1, x2, y2`` in pixels or null (no face found, handled by
    :class:`CropFace`'s ``missing_face`` policy); an optional ``ori_shape``
    (``[H, W]``, written by ``tools/detect_faces.py``) lets loading check
    that the box overlaps the image. An image listed twice is an error. If
    the file's metainfo lists ``classes``, they must be the dataset's classes
    in the same order (any spelling), otherwise the labels would silently
    mean other emotions.

    The file is read as data, never as code: JSON (whatever the extension),
    YAML (``.yaml`` / ``.yml``, safe loader), and a pickle (``.pkl`` /
    ``.pickle``) only with ``allow_pickle=True``, through the restricted
    unpickler of :func:`glamor_mm.utils.safe_pickle_load`.

    Args:
        ann_file (str): Annotation file, relative to ``data_root``.
        data_root (str): Root of the dataset. Defaults to ''.
        data_prefix (str | dict): Image root relative to ``data_root``.
            Defaults to ''.
        allow_pickle (bool): Read a pickle ``ann_file`` (builtins, numpy
            arrays and tensors only) instead of refusing it. Defaults to
            False.
        **kwargs: Other arguments of :class:`mmpretrain.datasets.BaseDataset`.
    """

    def __init__(self, *args, allow_pickle: bool = False, **kwargs) -> None:
        self.allow_pickle = allow_pickle
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Load and check the annotation file.

        Returns:
            list[dict]: Entries with ``img_path``, ``gt_label``, ``face_bbox``.
        """
        annotations = self._load_ann_file(allow_pickle=self.allow_pickle)
        data_list, first_index = [], {}
        for i, raw in enumerate(annotations['data_list']):
            where = f'{self.ann_file}: data_list[{i}]'
            if not isinstance(raw, dict) or not {'img_path', 'gt_label'
                                                 } <= set(raw):
                raise ValueError(f'{where} needs "img_path" and "gt_label", '
                                 f'got {raw!r}.')
            if raw['img_path'] in first_index:
                raise ValueError(
                    f'{where}: {raw["img_path"]!r} is listed twice (first '
                    f'at data_list[{first_index[raw["img_path"]]}]).')
            first_index[raw['img_path']] = i
            info = self.parse_data_info(dict(raw))
            info['gt_label'] = self._check_label(raw['gt_label'], where)
            info['face_bbox'] = parse_face_bbox(raw.get('face_bbox'), where)
            if 'ori_shape' in raw:
                info['ori_shape'] = self._check_shape(raw['ori_shape'], where)
            data_list.append(info)
        return self._check_data_list(data_list, self.ann_file)

    @staticmethod
    def _check_shape(shape, where: str) -> Tuple[int, int]:
        """Check an ``ori_shape`` entry: ``(H, W)`` positive integers."""
        if (not isinstance(shape, (list, tuple)) or len(shape) != 2
                or not all(isinstance(v, int) and v > 0 for v in shape)):
            raise ValueError(f'{where}: ori_shape must be [H, W] (positive '
                             f'integers), got {shape!r}.')
        return tuple(shape)
