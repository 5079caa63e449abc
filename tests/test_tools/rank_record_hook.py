"""Test helper imported by the training processes of test_dist_train.py."""
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class RankRecordHook(Hook):
    """Save what every rank trained on and ended with.

    ``work_dir/rank<r>.pth`` holds ``init`` and ``final`` (the parameters
    before and after training) and ``img_paths`` (the training images, or
    videos, this rank saw).
    """

    def before_train(self, runner) -> None:
        self.img_paths = []
        self.init = self._params(runner)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        self.img_paths += [
            s.metainfo.get('img_path', s.metainfo.get('video_path'))
            for s in data_batch['data_samples']
        ]

    def after_train(self, runner) -> None:
        torch.save(
            dict(
                init=self.init,
                final=self._params(runner),
                img_paths=self.img_paths),
            osp.join(runner.work_dir, f'rank{get_rank()}.pth'))

    @staticmethod
    def _params(runner) -> dict:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        return {
            k: v.detach().cpu().clone()
            for k, v in model.named_parameters()
        }
