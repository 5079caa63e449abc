"""CAER-S as distributed, with face boxes from a published face-box list."""
import os.path as osp
import posixpath
from typing import Dict, List, Tuple

from mmengine.fileio import get_text
from mmpretrain.registry import DATASETS

from .base_emotion_dataset import BaseEmotionDataset, parse_face_bbox


@DATASETS.register_module()
class CAERSDataset(BaseEmotionDataset):
    """CAER-S (static CAER) with one face box per image.

    The dataset is read from the layout it is distributed in, plus a face-box
    list such as the published CAER-S annotation (one line per image,
    ``relative/path.png,label,x1,y1,x2,y2``, paths relative to the image root,
    labels in the papers' order of ``CAER_CLASSES``)::

        data/caer_s/                    # data_root
        ├── train/Anger/0001.png ...    # <split>/<Class>/<name>.png
        ├── test/Surprise/2978.png ...
        ├── train.txt     # lines like train/Anger/0001.png,0,120,43,210,133
        └── test.txt

    Images are listed from the ``<split>`` folder (class folders in any
    spelling accepted by :func:`normalize_class_name`), boxes are looked up in
    ``ann_file``:

    - an image with no line in the list (the published list leaves out the
      images its authors found invalid) is kept with ``face_bbox=None`` if
      ``with_unannotated`` (what the papers did: they ran dlib on every image
      and fed an all-zero face when none was found; see :class:`CropFace`'s
      ``missing_face``), otherwise it is left out;
    - a line whose image is not on disk, whose label disagrees with the class
      folder, or that cannot be parsed raises an error naming the list file
      and line.

    Args:
        ann_file (str): The face-box list, relative to ``data_root``.
        split (str): Folder of the split under the image root, e.g.
            ``'train'``; lines of other splits in ``ann_file`` are ignored.
        data_root (str): Root of the dataset. Defaults to ''.
        data_prefix (str | dict): Image root relative to ``data_root`` (the
            paths in ``ann_file`` are relative to it). Defaults to ''.
        with_unannotated (bool): Keep images without a box (with
            ``face_bbox=None``). Defaults to True.
        **kwargs: Other arguments of :class:`mmpretrain.datasets.BaseDataset`
            (``pipeline``, ``test_mode``, ``indices``, ...).
    """

    def __init__(self,
                 ann_file: str,
                 split: str,
                 data_root: str = '',
                 data_prefix: str = '',
                 with_unannotated: bool = True,
                 **kwargs) -> None:
        self.split = split.strip('/')
        self.with_unannotated = with_unannotated
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=data_prefix,
            **kwargs)

    def _read_box_list(self) -> Dict[str, Tuple[int, List[float], str]]:
        """Parse the lines of ``ann_file`` that belong to ``self.split``.

        Returns:
            dict: relative image path -> ``(label, box, 'file:line')``.
        """
        self._check_ann_file()
        boxes = {}
        num_lines = 0
        # a UTF-8 byte order mark (written by some editors and
        # spreadsheets) is not part of the first path
        text = get_text(self.ann_file).removeprefix('\ufeff')
        for line_no, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            num_lines += 1
            where = f'{self.ann_file}:{line_no}'
            fields = [f.strip() for f in line.split(',')]
            if len(fields) != 6:
                raise ValueError(f'{where}: expected "relative/path.png,'
                                 f'label,x1,y1,x2,y2", got {line!r}.')
            rel_path = posixpath.normpath(fields[0].replace('\\', '/'))
            if rel_path.split('/')[0] != self.split:
                continue
            if rel_path in boxes:
                raise ValueError(f'{where}: {rel_path!r} is listed twice '
                                 f'(first at {boxes[rel_path][2]}).')
            boxes[rel_path] = (self._check_label(fields[1], where),
                               parse_face_bbox(fields[2:], where), where)
        if not num_lines:
            raise ValueError(f'{self.ann_file}: the face-box list is empty.')
        if not boxes:
            raise ValueError(
                f'{self.ann_file}: none of its {num_lines} lines is an image '
                f'of split {self.split!r} (paths must start with '
                f'"{self.split}/"); wrong ann_file or split?')
        return boxes

    def load_data_list(self) -> List[dict]:
        """Load the images of the split and their face boxes.

        Returns:
            list[dict]: Entries with ``img_path``, ``gt_label``, ``face_bbox``.
        """
        boxes = self._read_box_list()
        split_dir = osp.join(self.img_prefix, self.split)
        data_list = []
        for rel_in_split, label in self._scan_class_folders(split_dir):
            rel_path = f'{self.split}/{rel_in_split}'
            box = None
            if rel_path in boxes:
                list_label, box, where = boxes.pop(rel_path)
                if list_label != label:
                    raise ValueError(
                        f'{where}: label {list_label} '
                        f'({self.CLASSES[list_label]}) disagrees with the '
                        f'class folder of {rel_path!r} ({self.CLASSES[label]})'
                        '.')
            elif not self.with_unannotated:
                continue
            data_list.append(
                dict(
                    img_path=osp.join(self.img_prefix, rel_path),
                    gt_label=label,
                    face_bbox=box))
        if boxes:
            rel_path, (_, _, where) = next(iter(boxes.items()))
            raise FileNotFoundError(
                f'{where}: image {rel_path!r} is not in {split_dir!r} '
                f'({len(boxes)} listed image(s) of split {self.split!r} are '
                'missing on disk).')
        return self._check_data_list(data_list, split_dir)

    def extra_repr(self) -> List[str]:
        """The extra repr information of the dataset."""
        return super().extra_repr() + [
            f'Split: \t{self.split}',
            f'With unannotated images: \t{self.with_unannotated}'
        ]
