"""Record the mean fusion weights w_f / w_c of every training epoch."""
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.dist import all_reduce, is_main_process
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class FusionWeightHook(Hook):
    """Log the per-epoch mean of the Fusion Net weights (paper §4.2).

    With ``fusion='net'`` the ``FusionHead`` adds the batch means of the face
    and context weights to its loss dict (``fusion_w_face`` and
    ``fusion_w_context``). MMEngine passes those log variables to every
    ``after_train_iter`` hook (the ``RuntimeInfoHook`` stores them in the
    message hub as ``train/fusion_w_face`` ...). This hook averages them over
    the epoch (weighted by batch size, across all ranks), and at the end of
    each epoch

    * logs ``Epoch(train) [e] fusion weights: w_face=..., w_context=...``,
      with a warning when a weight collapsed to below ``collapse_thr`` (the
      instability the paper's two-stage training avoids);
    * adds the means to the visualizer's scalars (``fusion/w_face`` ...);
    * appends them to the message hub's runtime info ``fusion_weights``
      (saved in checkpoints, so resuming keeps the history) and writes that
      history to ``work_dir/<out_file>``.

    It needs an epoch-based training loop (``train_cfg.by_epoch=True``, as
    in all shipped configs).

    Args:
        keys (Sequence[str]): Log variables to average.
            Defaults to ``('fusion_w_face', 'fusion_w_context')``.
        collapse_thr (float): A weight below this value is reported as
            collapsed. Defaults to 0.05.
        out_file (str, optional): JSON file name in ``work_dir``; None
            disables writing it. Defaults to ``'fusion_weights.json'``.
    """

    priority = 'BELOW_NORMAL'

    def __init__(self,
                 keys: Sequence[str] = ('fusion_w_face', 'fusion_w_context'),
                 collapse_thr: float = 0.05,
                 out_file: Optional[str] = 'fusion_weights.json') -> None:
        self.keys = tuple(keys)
        self.collapse_thr = collapse_thr
        self.out_file = out_file
        self._sums = torch.zeros(len(self.keys), dtype=torch.float64)
        self._count = 0.0

    def before_train_epoch(self, runner) -> None:
        self._sums.zero_()
        self._count = 0.0

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        if not outputs or self.keys[0] not in outputs:
            return
        batch_size = 1
        if isinstance(data_batch, dict) and data_batch.get('data_samples'):
            batch_size = len(data_batch['data_samples'])
        values = torch.tensor([float(outputs[k]) for k in self.keys],
                              dtype=torch.float64)
        self._sums += values * batch_size
        self._count += batch_size

    def after_train_epoch(self, runner) -> None:
        totals = torch.cat(
            [self._sums,
             torch.tensor([self._count], dtype=torch.float64)])
        all_reduce(totals)  # in-place sum over ranks; no-op when not dist
        if totals[-1] == 0:
            runner.logger.warning(
                f'FusionWeightHook: no {self.keys[0]} in the training '
                'outputs this epoch; is the head a FusionHead with '
                "fusion='net'?")
            return
        means = {
            key.replace('fusion_', ''): float(totals[i] / totals[-1])
            for i, key in enumerate(self.keys)
        }
        epoch = runner.epoch + 1
        message = ', '.join(f'{k}={v:.4f}' for k, v in means.items())
        runner.logger.info(f'Epoch(train) [{epoch}] fusion weights: '
                           f'{message}')
        collapsed = [k for k, v in means.items() if v < self.collapse_thr]
        if collapsed:
            runner.logger.warning(
                f'Fusion weights collapsed ({", ".join(collapsed)} < '
                f'{self.collapse_thr}): the model ignores that branch. '
                'Consider two-stage training (configs/two_stage).')
        runner.visualizer.add_scalars(
            {
                f'fusion/{k}': v
                for k, v in means.items()
            }, step=epoch)
        history: List[Dict] = list(
            runner.message_hub.get_info('fusion_weights') or [])
        history.append(dict(epoch=epoch, **means))
        runner.message_hub.update_info('fusion_weights', history)
        if self.out_file and is_main_process():
            with open(osp.join(runner.work_dir, self.out_file), 'w') as f:
                json.dump(history, f, indent=2)
