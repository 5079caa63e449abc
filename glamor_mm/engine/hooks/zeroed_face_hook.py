"""Count the all-zero face views of every epoch."""
from typing import Optional

import torch
from mmengine.dist import all_reduce
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class ZeroedFaceHook(Hook):
    """Report how many face views of an epoch were all-zero.

    ``CropFace(missing_face='zeros')`` feeds an all-zero face for an image
    (or a frame of a clip) without a face box or with a box that has no
    area inside its image (swapped corners, a box outside the image...),
    and sets its ``face_bbox`` to None, which ``PackTwoViewInputs`` keeps
    in the data sample's metainfo (``PackTwoViewClipInputs``: one entry
    per frame in ``face_bboxes``). This hook counts those face views
    (images, or frames of clips) in every training, validation and test
    epoch (across all ranks) and

    - logs ``Epoch(train) [e]: k of N face views were all-zero ...`` as a
      warning when ``k > 0``;
    - stores ``k`` in the message hub's runtime info
      ``'<mode>/zeroed_faces'`` (``mode`` = train, val or test).

    Samples whose metainfo has neither ``face_bbox`` nor ``face_bboxes``
    are not counted.
    """

    priority = 'BELOW_NORMAL'

    def __init__(self) -> None:
        self._counts = torch.zeros(2, dtype=torch.float64)

    def _reset(self, runner) -> None:
        self._counts.zero_()

    before_train_epoch = before_val_epoch = before_test_epoch = _reset

    def _count(self,
               runner,
               batch_idx: int,
               data_batch: Optional[dict] = None,
               outputs=None) -> None:
        zeroed = total = 0
        for sample in (data_batch or {}).get('data_samples') or []:
            if 'face_bbox' in sample.metainfo:
                boxes = [sample.face_bbox]
            else:  # clips: one box per frame
                boxes = sample.metainfo.get('face_bboxes', [])
            zeroed += sum(box is None for box in boxes)
            total += len(boxes)
        self._counts += torch.tensor([zeroed, total], dtype=torch.float64)

    after_train_iter = after_val_iter = after_test_iter = _count

    def _report(self, runner, mode: str) -> None:
        counts = self._counts.clone()
        all_reduce(counts)  # in-place sum over ranks; no-op when not dist
        zeroed, total = int(counts[0]), int(counts[1])
        if total == 0:
            return
        runner.message_hub.update_info(f'{mode}/zeroed_faces', zeroed)
        if zeroed:
            epoch = f' [{runner.epoch + 1}]' if mode == 'train' else ''
            runner.logger.warning(
                f'Epoch({mode}){epoch}: {zeroed} of {total} face views were '
                'all-zero (no face box, or one with no area inside its '
                "image; see the dataset's warning at load).")

    def after_train_epoch(self, runner) -> None:
        self._report(runner, 'train')

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._report(runner, 'val')

    def after_test_epoch(self, runner, metrics=None) -> None:
        self._report(runner, 'test')
