"""NCAER-S as distributed by the GLAMOR-Net authors."""
import os.path as osp
import re
from typing import List, Optional

from mmengine.fileio import exists, get_text
from mmpretrain.registry import DATASETS

from .base_emotion_dataset import BaseEmotionDataset, parse_face_bbox


@DATASETS.register_module()
class NCAERSDataset(BaseEmotionDataset):
    """NCAER-S, the GLAMOR-Net authors' re-split of CAER frames.

    Layout as distributed (one box file per image, holding ``x1,y1,x2,y2``)::

        data/ncaer_s/                       # data_root
        ├── images/train/Angry/0001.jpg  # images/<split>/<Class>/<img>.jpg
        ├── images/val/...  images/test/...
        └── crop/train/Angry/0001.txt    # crop/<split>/<Class>/<img>.txt

    Class folders may use any spelling accepted by
    :func:`normalize_class_name`. An image whose box file is missing, empty
    or ``0,0,0,0`` (the authors' marker for "no face found") gets
    ``face_bbox=None``, handled by :class:`CropFace`'s
    ``missing_face`` policy; a box file that is not four numbers raises an
    error naming it, and so does a split in which no image has a box (or
    whose box folder is missing).

    Args:
        split (str): ``'train'``, ``'val'`` or ``'test'``.
        data_root (str): Root of the dataset. Defaults to ''.
        data_prefix (dict, optional): Folders of the images and of the box
            files, relative to ``data_root``. Defaults to None, meaning
            ``dict(img_path='images', box_path='crop')``.
        ann_file (str): Unused (the layout is the annotation); kept for
            MMEngine's interface. Defaults to ''.
        **kwargs: Other arguments of :class:`mmpretrain.datasets.BaseDataset`.
    """

    def __init__(self,
                 split: str,
                 data_root: str = '',
                 data_prefix: Optional[dict] = None,
                 ann_file: str = '',
                 **kwargs) -> None:
        self.split = split.strip('/')
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=dict(img_path='images', box_path='crop')
            if data_prefix is None else dict(data_prefix),
            **kwargs)

    def _read_box(self, box_file: str) -> Optional[List[float]]:
        """Read one ``x1,y1,x2,y2`` box file (None if missing or empty)."""
        text = get_text(box_file).removeprefix('\ufeff').strip() \
            if exists(box_file) else ''
        box = parse_face_bbox(re.split(r'[,\s]+', text), box_file) \
            if text else None
        return None if box == [0, 0, 0, 0] else box

    def load_data_list(self) -> List[dict]:
        """Load the images of the split and their face boxes.

        Returns:
            list[dict]: Entries with ``img_path``, ``gt_label``, ``face_bbox``.
        """
        split_dir = osp.join(self.data_prefix['img_path'], self.split)
        box_dir = osp.join(self.data_prefix['box_path'], self.split)
        samples = self._scan_class_folders(split_dir)
        if not osp.isdir(box_dir):
            raise FileNotFoundError(
                f'{type(self).__name__}: face-box folder {box_dir!r} does not '
                'exist.')
        data_list = []
        for rel_path, label in samples:
            box_file = osp.join(box_dir, osp.splitext(rel_path)[0] + '.txt')
            data_list.append(
                dict(
                    img_path=osp.join(split_dir, rel_path),
                    gt_label=label,
                    face_bbox=self._read_box(box_file)))
        if all(info['face_bbox'] is None for info in data_list):
            raise ValueError(
                f'{type(self).__name__}: none of the {len(data_list)} images '
                f'of {split_dir!r} has a face box in {box_dir!r} (box files '
                'missing, empty or 0,0,0,0); wrong box_path or split?')
        return self._check_data_list(data_list, split_dir)

    def extra_repr(self) -> List[str]:
        """The extra repr information of the dataset."""
        return super().extra_repr() + [
            f'Split: \t{self.split}',
            f'Prefix of face boxes: \t{self.data_prefix["box_path"]}'
        ]
