"""Code shared by the CAER-S, NCAER-S and annotation-file datasets."""
import logging
import os
import os.path as osp
import weakref
from typing import Any, FrozenSet, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import Compose
from mmengine.fileio import exists
from mmengine.logging import print_log
from mmpretrain.datasets import BaseDataset

from ..utils import load_data_file
from .categories import CAER_CLASSES, normalize_class_name
from .pipeline_cache import (CACHE_CHECKS, TwoViewPipelineCache,
                             split_cacheable)

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v')

# The datasets of this process, for the holdout overlap check (weak
# references: a dataset no longer used drops out).
_LIVE_DATASETS: 'weakref.WeakSet' = weakref.WeakSet()


def parse_face_bbox(values: Optional[Sequence[Any]],
                    source: str) -> Optional[List[float]]:
    """Check and convert a face box ``x1, y1, x2, y2`` read from a file.

    Only the format is checked here (four finite numbers); a box of zero
    area or partly outside the image is a valid annotation whose handling is
    decided by :class:`CropFace` once the image size is known.

    Args:
        values (Sequence | None): Four numbers (or strings of numbers), or
            None / an empty sequence for "no face".
        source (str): File (and line) the box comes from, quoted in errors.

    Returns:
        list[float] | None: ``[x1, y1, x2, y2]`` in pixels, or None.

    Raises:
        ValueError: If ``values`` is not four finite numbers.
    """
    if values is None or len(values) == 0:
        return None
    try:
        box = [float(v) for v in values]
    except (TypeError, ValueError):
        box = []
    if len(box) != 4 or not np.isfinite(box).all():
        raise ValueError(f'{source}: a face box must be 4 finite numbers '
                         f'x1,y1,x2,y2, got {list(values)!r}.')
    return box


def face_box_problem(
        box: Sequence[float],
        img_shape: Optional[Sequence[int]] = None) -> Optional[str]:
    """What is wrong with a face box ``x1, y1, x2, y2``, if anything.

    Args:
        box (Sequence[float]): The box, in pixels.
        img_shape (Sequence[int], optional): ``(H, W)`` of the image, when
            known. Defaults to None.

    Returns:
        str | None: The problem (no area, or entirely outside the image), or
        None for a valid box.
    """
    x1, y1, x2, y2 = box
    text = '[' + ', '.join(f'{float(v):g}' for v in box) + ']'
    if not (x2 > x1 and y2 > y1):
        return f'box {text} has no area (needs x2 > x1 and y2 > y1)'
    if img_shape is not None:
        h, w = img_shape[:2]
        if x2 <= 0 or y2 <= 0 or x1 >= w or y1 >= h:
            return f'box {text} lies outside the {w}x{h} (WxH) image'
    return None


def invalid_face_boxes(
        boxes: np.ndarray,
        img_shape: Optional[Sequence[int]] = None) -> np.ndarray:
    """Which boxes :func:`face_box_problem` finds a problem with, at once.

    Args:
        boxes (np.ndarray): ``(N, 4)`` boxes ``x1, y1, x2, y2`` in pixels
            (rows of NaN, "no box", are not invalid).
        img_shape (Sequence[int], optional): ``(H, W)`` of the images.
            Defaults to None.

    Returns:
        np.ndarray: Bool mask of shape ``(N, )``.
    """
    x1, y1, x2, y2 = np.asarray(boxes, dtype=np.float64).T
    with np.errstate(invalid='ignore'):
        invalid = (x2 <= x1) | (y2 <= y1)
        if img_shape is not None:
            h, w = img_shape[:2]
            invalid |= (x2 <= 0) | (y2 <= 0) | (x1 >= w) | (y1 >= h)
    return invalid


class BaseEmotionDataset(BaseDataset):
    """Base class of the emotion datasets (one face box per image).

    Every entry of ``data_list`` has ``img_path`` (str), ``gt_label`` (int,
    index into ``CLASSES``) and ``face_bbox`` (``[x1, y1, x2, y2]`` floats in
    original-image pixels, or None when the sample has no face box; the
    pipeline's :class:`CropFace` decides what a missing box means).

    Subclasses implement :meth:`load_data_list` with the helpers below. On top
    of MMPretrain's :class:`BaseDataset` this class

    - checks that the annotation file exists and that a split is not empty,
      and logs how many images have no face box,
    - maps class folder / label spellings with :func:`normalize_class_name`,
    - re-raises any error of the data pipeline (a corrupt or truncated image,
      an image with no face under ``missing_face='error'``, ...) as a
      ``RuntimeError`` naming the image file, so that a failure inside a
      DataLoader worker says which file is bad. Transforms must not return
      None: that raises too, instead of MMEngine's silent draw of another
      image in training,
    - with ``cache_dir``, caches the deterministic start of the pipeline
      (decode, face crop, face masking, context resize; see
      :class:`TwoViewPipelineCache`) and runs only the rest per epoch. The
      samples are the same with and without the cache.

    - with ``holdout``, keeps one of two complementary parts of the split:
      a seeded, class-stratified share of the images (``part='val'``) or
      the rest (``part='train'``), so that a validation split can be carved
      out of a training split that has no validation list (CAER-S). When
      it is built, a dataset with a ``holdout`` is compared with the other
      datasets of the process that keep another part (or the whole split):
      if they share images (e.g. the seed or fraction was changed on one
      side only, or one side has no ``holdout``), a warning names how many
      and one of them.

    Args:
        *args: Arguments of :class:`mmpretrain.datasets.BaseDataset`.
        cache_dir (str, optional): Folder of the pipeline cache, relative to
            ``data_root`` unless absolute. Defaults to None (no cache).
        cache_check (str): How the cache sees that an image file changed:
            ``'stat'`` (size and modification time) or ``'hash'`` (a hash
            of the content, read at every access). Defaults to ``'stat'``.
        holdout (dict, optional): ``dict(fraction=0.1, seed=0,
            part='train' | 'val')``: in every class, ``round(fraction * n)``
            images drawn with ``seed`` form the ``'val'`` part, the others
            the ``'train'`` part. Two datasets on the same split with the same
            ``fraction`` and ``seed`` never share an image. Defaults to None
            (the whole split).
        **kwargs: Keyword arguments of
            :class:`mmpretrain.datasets.BaseDataset`.
    """

    METAINFO = {'classes': CAER_CLASSES}
    # A split with more invalid face boxes than this share is refused.
    MAX_INVALID_BOX_RATIO = 0.5

    def __init__(self,
                 *args,
                 cache_dir: Optional[str] = None,
                 cache_check: str = 'stat',
                 holdout: Optional[dict] = None,
                 **kwargs):
        if cache_check not in CACHE_CHECKS:
            raise ValueError(f'cache_check must be one of {CACHE_CHECKS}, '
                             f'got {cache_check!r}.')
        self.cache_dir = cache_dir
        self.cache_check = cache_check
        self.pipeline_cache: Optional[TwoViewPipelineCache] = None
        if holdout is not None:
            holdout = dict(holdout)
            unknown = set(holdout) - {'fraction', 'seed', 'part'}
            if (unknown or holdout.get('part') not in ('train', 'val')
                    or not 0 < holdout.get('fraction', 0) < 1):
                raise ValueError(
                    'holdout must be dict(fraction=<in (0, 1)>, seed=<int>, '
                    f"part='train' or 'val'), got {holdout!r}.")
        self.holdout = holdout
        self._sample_paths: Optional[FrozenSet[str]] = None
        super().__init__(*args, **kwargs)

    def filter_data(self) -> List[dict]:
        """Keep the ``holdout`` part of the split (all of it without one).

        Returns:
            list[dict]: The kept entries, in their order.
        """
        if self.holdout is None:
            return self.data_list
        fraction, part = self.holdout['fraction'], self.holdout['part']
        rng = np.random.default_rng(self.holdout.get('seed', 0))
        labels = np.array([info['gt_label'] for info in self.data_list])
        in_val = np.zeros(len(labels), dtype=bool)
        for label in np.unique(labels):
            members = np.flatnonzero(labels == label)
            count = round(fraction * len(members))
            in_val[rng.permutation(members)[:count]] = True
        keep = in_val if part == 'val' else ~in_val
        if not keep.any():
            raise ValueError(
                f'{type(self).__name__}: holdout {self.holdout} leaves no '
                f'image in the {part!r} part of its {len(labels)} images.')
        return [info for info, k in zip(self.data_list, keep) if k]

    def full_init(self) -> None:
        """Load the data list, then open (or create) the pipeline cache."""
        if self._fully_initialized:
            return
        super().full_init()
        self._check_holdout_overlap()
        if self.cache_dir is not None:
            self._open_pipeline_cache(
                osp.join(self.data_root or '', self.cache_dir))

    def _open_pipeline_cache(self, cache_dir: str) -> None:
        """Cache the pipeline's cacheable start in ``cache_dir``: set
        ``pipeline_cache`` and leave the rest in ``pipeline``."""
        cached, rest = split_cacheable(self.pipeline.transforms)
        self.pipeline_cache = TwoViewPipelineCache(
            cache_dir,
            cached,
            [self.get_data_info(i)['img_path'] for i in range(len(self))],
            self.get_data_info(0),
            check=self.cache_check)
        self.pipeline = Compose(rest)

    def sample_paths(self) -> FrozenSet[str]:
        """Absolute image (video) paths of the samples."""
        if self._sample_paths is None:
            infos = (self.get_data_info(i) for i in range(len(self)))
            self._sample_paths = frozenset(
                osp.abspath(info.get('img_path', info.get('video_path')))
                for info in infos)
        return self._sample_paths

    def _check_holdout_overlap(self) -> None:
        """Warn if this dataset and a live one of another holdout part
        (``'train'``, ``'val'`` or the whole split) share images."""
        part = self.holdout and self.holdout['part']
        for other in list(_LIVE_DATASETS):
            other_part = other.holdout and other.holdout['part']
            if part == other_part:  # the same part, or both whole splits
                continue
            shared = self.sample_paths() & other.sample_paths()
            if shared:
                print_log(
                    f'{type(self).__name__} (holdout={self.holdout}) shares '
                    f'{len(shared)} of its {len(self)} images with '
                    f'{type(other).__name__} (holdout={other.holdout}), '
                    f'e.g. {min(shared)}: training and validation data '
                    'overlap. Carve both parts out of one list with the same '
                    "holdout fraction and seed (part='train' and "
                    "part='val').",
                    logger='current',
                    level=logging.WARNING)
        _LIVE_DATASETS.add(self)

    def _check_ann_file(self) -> None:
        """Raise a clear error if ``self.ann_file`` does not exist."""
        if not self.ann_file or not exists(self.ann_file):
            raise FileNotFoundError(f'{type(self).__name__}: annotation file '
                                    f'{self.ann_file!r} does not exist.')

    def _load_ann_file(self,
                       file_format: Optional[str] = None,
                       allow_pickle: bool = False) -> dict:
        """Load an OpenMMLab 2.0 annotation file and check its classes.

        The file is read as data only (:func:`glamor_mm.utils.
        load_data_file`: JSON, safe YAML, and pickles only with
        ``allow_pickle``, through the restricted unpickler). If the file's
        metainfo lists ``classes``, they must be the dataset's classes in
        the same order (any spelling), otherwise the labels would silently
        mean other emotions. The file's other metainfo (e.g. the face
        detector that wrote the boxes) completes the dataset's, as in
        MMEngine.

        Args:
            file_format (str, optional): ``'json'``, ``'yaml'`` or
                ``'pickle'`` instead of the format the extension names.
                Defaults to None.
            allow_pickle (bool): Read a pickle file (restricted to builtins,
                numpy arrays and tensors) instead of refusing it. Defaults
                to False.

        Returns:
            dict: The file's content, with ``metainfo`` and ``data_list``.
        """
        self._check_ann_file()
        annotations = load_data_file(
            self.ann_file,
            file_format,
            allow_pickle,
            opt_in=f'{type(self).__name__}(allow_pickle=True)')
        if not isinstance(annotations, dict) or not {'metainfo', 'data_list'
                                                     } <= set(annotations):
            raise ValueError(f'{self.ann_file}: expected a dict with keys '
                             '"metainfo" and "data_list".')
        file_classes = annotations['metainfo'].get('classes')
        if file_classes is not None and [
                normalize_class_name(c, self.ann_file) for c in file_classes
        ] != [normalize_class_name(c) for c in self.CLASSES]:
            raise ValueError(
                f'{self.ann_file}: its classes {tuple(file_classes)} are not '
                f'the dataset classes {tuple(self.CLASSES)} in that order.')
        # like MMEngine: the file's other metainfo (e.g. the face detector
        # that wrote the boxes) completes the dataset's
        for key, value in annotations['metainfo'].items():
            self._metainfo.setdefault(key, value)
        return annotations

    def _label_of(self, name: str, source: str) -> int:
        """Index in ``self.CLASSES`` of a class name in any known spelling.

        Args:
            name (str): Class folder name or label text.
            source (str): Folder / file the name comes from, for errors.

        Returns:
            int: The label.
        """
        canonical = normalize_class_name(name, source)
        classes = [normalize_class_name(c) for c in self.CLASSES]
        if canonical not in classes:
            raise ValueError(f'Category {name!r} (in {source}) is not in the '
                             f'dataset classes {tuple(self.CLASSES)}.')
        return classes.index(canonical)

    def _check_label(self, label: Union[int, str], source: str) -> int:
        """Check that an integer label (possibly as text) is in range."""
        try:
            value = int(label)
        except (TypeError, ValueError):
            value = -1
        if str(value) != str(label).strip() or not 0 <= value < len(
                self.CLASSES):
            raise ValueError(f'{source}: label {label!r} is not an integer in '
                             f'[0, {len(self.CLASSES) - 1}].')
        return value

    def _scan_class_folders(
            self,
            split_dir: str,
            extensions: tuple = IMG_EXTENSIONS) -> List[Tuple[str, int]]:
        """List the images of a ``<split_dir>/<Class>/<image>`` tree.

        Hidden entries (starting with '.') and files that are not images
        (see ``IMG_EXTENSIONS``) are skipped, as are files directly inside
        ``split_dir``.

        Args:
            split_dir (str): Folder holding one sub-folder per class.
            extensions (tuple[str]): File extensions listed (lower
                case). Defaults to ``IMG_EXTENSIONS`` (``VIDEO_EXTENSIONS``
                for video datasets).

        Returns:
            list[tuple[str, int]]: Sorted ``(path relative to split_dir with
            '/' separators, label)`` pairs.

        Raises:
            FileNotFoundError: If ``split_dir`` does not exist.
            ValueError: For an unknown class folder or an empty split.
        """
        if not osp.isdir(split_dir):
            raise FileNotFoundError(
                f'{type(self).__name__}: image folder {split_dir!r} does '
                'not exist.')
        samples = []
        for folder in sorted(os.listdir(split_dir)):
            folder_path = osp.join(split_dir, folder)
            if folder.startswith('.') or not osp.isdir(folder_path):
                continue
            label = self._label_of(folder, folder_path)
            for name in sorted(os.listdir(folder_path)):
                if (not name.startswith('.')
                        and name.lower().endswith(extensions)):
                    samples.append((f'{folder}/{name}', label))
        return self._check_not_empty(samples, split_dir)

    def _check_not_empty(self, data_list: list, source: str) -> list:
        """Raise a clear error if a split has no sample."""
        if len(data_list) == 0:
            raise ValueError(f'{type(self).__name__}: no image found in '
                             f'{source!r} (empty split).')
        return data_list

    def _check_data_list(self, data_list: List[dict], source: str) -> list:
        """Check the face boxes of a loaded split.

        A box is invalid if it has no area (``x2 <= x1`` or ``y2 <= y1``,
        e.g. swapped corners or a box in ``x, y, w, h`` form) or, when the
        entry gives the image size (``ori_shape``, ``(H, W)``), if it lies
        entirely outside the image. An invalid box would become an all-zero
        face (or an error under ``CropFace(missing_face='error')``), so

        - a split where more than ``MAX_INVALID_BOX_RATIO`` of the boxes are
          invalid is refused (the whole list is in another format);
        - otherwise the invalid boxes and the images without a box are
          counted in a warning, with the first invalid ones named.

        Args:
            data_list (list[dict]): The loaded entries.
            source (str): File or folder the split comes from, for messages.

        Returns:
            list[dict]: ``data_list``.

        Raises:
            ValueError: For an empty split or one of mostly invalid boxes.
        """
        self._check_not_empty(data_list, source)
        boxes = [info for info in data_list if info['face_bbox'] is not None]
        invalid = []
        for info in boxes:
            problem = face_box_problem(info['face_bbox'],
                                       info.get('ori_shape'))
            if problem:
                invalid.append(f"{info['img_path']}: {problem}")
        examples = self._check_invalid_share(
            len(invalid), len(boxes), invalid[:3], source)
        no_face = len(data_list) - len(boxes)
        if no_face or invalid:
            print_log(
                f'{type(self).__name__} ({source}): of {len(data_list)} '
                f'images, {no_face} have no face box and {len(invalid)} an '
                'invalid one'
                f'{" (" + examples + ")" if invalid else ""}; their face '
                "views follow CropFace's missing_face policy (all-zero by "
                'default).',
                logger='current',
                level=logging.WARNING)
        return data_list

    def _check_invalid_share(self, num_invalid: int, num_boxes: int,
                             examples: List[str], source: str) -> str:
        """Refuse a split where more than ``MAX_INVALID_BOX_RATIO`` of the
        face boxes are invalid (the whole list is in another format).

        Args:
            num_invalid (int): Invalid boxes of the split.
            num_boxes (int): All its boxes.
            examples (list[str]): The first invalid ones, named with their
                problem.
            source (str): File or folder the split comes from.

        Returns:
            str: ``examples`` joined, for a warning.
        """
        text = '; '.join(examples)
        if num_invalid > self.MAX_INVALID_BOX_RATIO * num_boxes:
            raise ValueError(
                f'{type(self).__name__} ({source}): {num_invalid} of '
                f'{num_boxes} face boxes are invalid, e.g. {text}. Boxes '
                'must be x1,y1,x2,y2 in pixels (not x,y,w,h).')
        return text

    def prepare_data(self, idx: int) -> Any:
        """Run the pipeline on sample ``idx``; errors name the image file.

        Args:
            idx (int): Index of the sample.

        Returns:
            Any: The output of the pipeline.
        """
        data_info = self.get_data_info(idx)
        path = data_info.get('img_path', data_info.get('video_path'))
        where = f'{path!r} (sample {idx} of {type(self).__name__})'
        try:
            if self.pipeline_cache is not None:
                data_info = self.pipeline_cache(data_info)
            results = self.pipeline(data_info)
        except Exception as e:
            raise RuntimeError(f'Failed to prepare {where}: '
                               f'{type(e).__name__}: {e}') from e
        if results is None:
            raise RuntimeError(
                f'The pipeline dropped {where} (a transform returned None, '
                'e.g. LoadImageFromFile(ignore_empty=True)); drop such '
                'samples from the annotation instead of resampling silently.')
        return results
