"""Data preprocessor for the face view and the context view."""
from numbers import Number
from typing import List, Optional, Sequence, Union

import torch
from mmengine.model import BaseDataPreprocessor
from mmpretrain.registry import MODELS
from mmpretrain.structures import (DataSample, batch_label_to_onehot,
                                   cat_batch_labels)

VIEWS = ('face', 'context')


@MODELS.register_module()
class TwoViewDataPreprocessor(BaseDataPreprocessor):
    """Normalise the face and the context view, each with its own statistics.

    Accepts the output of ``PackTwoViewInputs`` after either collate
    function: ``default_collate`` gives ``inputs = {'face': uint8 N×3×Hf×Wf,
    'context': uint8 N×3×Hc×Wc}``, ``pseudo_collate`` gives the same dict with
    a list of N (3×H×W) tensors per view. Clips (the video pipeline) work
    the same way with views of shape N×K×3×T×H×W (K clips of T frames per
    video). Videos with different numbers of clips K_i (test videos of
    different lengths, batched with ``pseudo_collate``) are concatenated
    into one ΣK_i×3×T×H×W batch of clips; the classifier then groups them by
    the ``num_clips`` metainfo of the data samples. Per view it moves the
    data to the model's device, flips BGR to RGB if ``to_rgb``, converts to
    float and normalises with that view's mean/std. Labels are handled like
    :class:`mmpretrain.models.ClsDataPreprocessor` (one-hot scores on
    request). Batch augmentations (Mixup/CutMix) are not supported because
    they would have to mix both views consistently.

    Args:
        face_mean (Sequence[Number], optional): Per-channel mean of the face
            view, in the channel order after ``to_rgb``. Defaults to None (no
            normalisation of the face view).
        face_std (Sequence[Number], optional): Per-channel std of the face
            view. Required with ``face_mean``. Defaults to None.
        context_mean (Sequence[Number], optional): Per-channel mean of the
            context view. Defaults to None.
        context_std (Sequence[Number], optional): Per-channel std of the
            context view. Required with ``context_mean``. Defaults to None.
        to_rgb (bool): Whether to flip 3-channel images from BGR to RGB.
            Defaults to False.
        to_onehot (bool): Whether to add one-hot ``gt_score`` to the data
            samples. Defaults to False.
        num_classes (int, optional): Number of classes, needed by
            ``to_onehot``. Defaults to None.
    """

    def __init__(self,
                 face_mean: Optional[Sequence[Number]] = None,
                 face_std: Optional[Sequence[Number]] = None,
                 context_mean: Optional[Sequence[Number]] = None,
                 context_std: Optional[Sequence[Number]] = None,
                 to_rgb: bool = False,
                 to_onehot: bool = False,
                 num_classes: Optional[int] = None):
        super().__init__()
        self.to_rgb = to_rgb
        self.to_onehot = to_onehot
        self.num_classes = num_classes
        if to_onehot and num_classes is None:
            raise ValueError('TwoViewDataPreprocessor: `to_onehot=True` '
                             'needs `num_classes`.')
        for view, mean, std in (('face', face_mean, face_std),
                                ('context', context_mean, context_std)):
            if (mean is None) != (std is None):
                raise ValueError(
                    f'TwoViewDataPreprocessor: give both `{view}_mean` and '
                    f'`{view}_std`, or neither.')
            if mean is not None:
                self.register_buffer(f'{view}_mean',
                                     torch.tensor(mean).view(-1, 1, 1), False)
                self.register_buffer(f'{view}_std',
                                     torch.tensor(std).view(-1, 1, 1), False)
            else:
                setattr(self, f'{view}_mean', None)
                setattr(self, f'{view}_std', None)

    def _preprocess_view(
            self, view: str,
            images: Union[torch.Tensor, List[torch.Tensor]]) -> torch.Tensor:
        """Stack, colour-convert and normalise one view of a batch.

        Args:
            view (str): ``'face'`` or ``'context'``.
            images (Tensor | list[Tensor]): Images, N×3×H×W or a list of N
                3×H×W tensors of equal size; or clips, N×K×3×T×H×W or a list
                of N K_i×3×T×H×W tensors of equal clip size. Already on the
                device.

        Returns:
            Tensor: Float batch, shape (N, 3, H, W), (N, K, 3, T, H, W) or,
            for lists of videos with different K_i, (ΣK_i, 3, T, H, W).
        """
        if isinstance(images, (list, tuple)):
            shapes = {tuple(img.shape) for img in images}
            clip_shapes = {shape[1:] for shape in shapes if len(shape) == 5}
            if len(shapes) > 1 and len(clip_shapes) == 1 == len(
                {len(shape)
                 for shape in shapes}):
                images = torch.cat(list(images))  # K_i clips per video
            elif len(shapes) != 1:
                raise ValueError(
                    f'TwoViewDataPreprocessor: the {view} inputs of one batch '
                    f'have different shapes {sorted(shapes)}; the pipeline '
                    'must crop/resize each view to a fixed size.')
            else:
                images = torch.stack(list(images))
        if not isinstance(images, torch.Tensor) or images.dim() not in (4, 5,
                                                                        6):
            raise ValueError(
                f'TwoViewDataPreprocessor: expected the {view} view as an '
                'N×C×H×W tensor (images), an N×K×C×T×H×W tensor (clips) or a '
                'list of C×H×W or K×C×T×H×W tensors, got '
                f'{type(images).__name__} {getattr(images, "shape", "")}.')
        channel_dim = 2 if images.dim() == 6 else 1
        if self.to_rgb and images.size(channel_dim) == 3:
            images = images.flip(channel_dim)
        # a new tensor (never the caller's), normalised in place: fresh
        # batch-sized buffers for (x - mean) / std cost more than the maths
        images = images.to(torch.float32, copy=True)
        mean = getattr(self, f'{view}_mean')
        if mean is not None:
            std = getattr(self, f'{view}_std')
            if images.dim() > 4:  # (C, 1, 1) -> (C, 1, 1, 1) to skip T
                mean, std = mean.unsqueeze(-1), std.unsqueeze(-1)
            images.sub_(mean).div_(std)
        return images

    def forward(self, data: dict, training: bool = False) -> dict:
        """Preprocess a collated batch.

        Args:
            data (dict): ``{'inputs': {'face': ..., 'context': ...},
                'data_samples': list[DataSample] (optional)}``.
            training (bool): Unused; kept for the MMEngine interface.

        Returns:
            dict: ``{'inputs': {'face': float N×3×Hf×Wf, 'context': float
            N×3×Hc×Wc}, 'data_samples': list[DataSample] | None}``, with
            N×K×3×T×H×W (or ΣK_i×3×T×H×W) views for clips.
        """
        data = self.cast_data(data)
        inputs = data['inputs']
        if not isinstance(inputs, dict) or set(inputs) != set(VIEWS):
            found = sorted(inputs) if isinstance(
                inputs, dict) else type(inputs).__name__
            raise ValueError(
                'TwoViewDataPreprocessor: `inputs` must be a dict with keys '
                f"'face' and 'context' (see PackTwoViewInputs), got {found}.")
        inputs = {
            view: self._preprocess_view(view, inputs[view])
            for view in VIEWS
        }

        data_samples = data.get('data_samples', None)
        if (self.to_onehot and data_samples
                and isinstance(data_samples[0], DataSample)
                and 'gt_label' in data_samples[0]
                and 'gt_score' not in data_samples[0]):
            batch_label, label_indices = cat_batch_labels(
                [sample.gt_label for sample in data_samples])
            batch_score = batch_label_to_onehot(batch_label, label_indices,
                                                self.num_classes)
            for sample, score in zip(data_samples, batch_score):
                sample.set_gt_score(score)
        return {'inputs': inputs, 'data_samples': data_samples}
