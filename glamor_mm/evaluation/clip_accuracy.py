"""Clip-level accuracy of video predictions."""
from typing import List, Optional, Sequence

import torch
from mmengine.evaluator import BaseMetric
from mmpretrain.registry import METRICS


@METRICS.register_module()
class ClipAccuracy(BaseMetric):
    """Top-1 accuracy of the individual clips of each video.

    The video-level accuracy is MMPretrain's ``Accuracy`` on ``pred_score``
    (the clips' averaged scores, CAER-Net Sec. 5.1). This metric scores
    every clip on its own with its video's label, from the ``clip_scores``
    (K×num_classes) that :class:`GlamorClassifier` stores for videos: it
    shows how much the averaging of a video's clips adds.

    Args:
        collect_device (str): Device to collect results across ranks.
            Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the metric names.
            Defaults to ``'clip_accuracy'``.
    """
    default_prefix: Optional[str] = 'clip_accuracy'

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Count the correct clips of each video.

        Args:
            data_batch: Unused.
            data_samples (Sequence[dict]): Predictions, each with
                ``clip_scores`` (K×C) and ``gt_label``.
        """
        for sample in data_samples:
            if 'clip_scores' not in sample:
                raise KeyError('ClipAccuracy needs the `clip_scores` of video '
                               'predictions (GlamorClassifier on clips); this '
                               'prediction has none.')
            clip_labels = torch.as_tensor(sample['clip_scores']).argmax(dim=1)
            gt = int(torch.as_tensor(sample['gt_label']).view(-1)[0])
            self.results.append(
                ((clip_labels == gt).sum().item(), clip_labels.numel()))

    def compute_metrics(self, results: List[tuple]) -> dict:
        """Return ``top1`` (% of correct clips) and ``num_clips``."""
        correct = sum(r[0] for r in results)
        total = sum(r[1] for r in results)
        return dict(top1=100.0 * correct / max(total, 1), num_clips=total)
