"""Pack the face and context views for the two-view data preprocessor."""
from typing import Sequence

from mmpretrain.datasets.transforms import PackInputs
from mmpretrain.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackTwoViewInputs(PackInputs):
    """Pack the face and context views and the label into model inputs.

    Output (the data contract of ``TwoViewDataPreprocessor``)::

        {'inputs': {'face': uint8 Tensor 3 x 96 x 96,
                    'context': uint8 Tensor 3 x 112 x 112},
         'data_samples': DataSample(gt_label=..., metainfo: img_path,
                                    ori_shape, face_bbox, ...)}

    Images are converted from ``H x W x C`` arrays to ``C x H x W`` tensors
    with their dtype kept (BGR order; the preprocessor converts to RGB).

    Required Keys:

    - face_img (np.ndarray): Face view, ``h x w x C``.
    - img (np.ndarray): Context view, ``H x W x C``.
    - gt_label (int, optional)
    - ``*meta_keys`` (optional)

    Deleted Keys:

    All other keys in the dict.

    Added Keys:

    - inputs (dict[str, torch.Tensor]): ``face`` and ``context`` tensors.
    - data_samples (:obj:`~mmpretrain.structures.DataSample`): The label and
      the meta information.

    Args:
        face_key (str): Key of the face view. Defaults to ``'face_img'``.
        context_key (str): Key of the context view. Defaults to ``'img'``.
        meta_keys (Sequence[str]): Keys saved in the data sample's metainfo.
            Defaults to MMPretrain's default meta keys plus ``'face_bbox'``.
    """

    DEFAULT_META_KEYS = PackInputs.DEFAULT_META_KEYS + ('face_bbox', )

    def __init__(self,
                 face_key: str = 'face_img',
                 context_key: str = 'img',
                 meta_keys: Sequence[str] = DEFAULT_META_KEYS) -> None:
        super().__init__(input_key=context_key, meta_keys=meta_keys)
        self.face_key = face_key

    def transform(self, results: dict) -> dict:
        """Pack the two views.

        Args:
            results (dict): Result dict of the pipeline.

        Returns:
            dict: ``inputs`` (dict with ``face`` and ``context``) and
            ``data_samples``.
        """
        for key in (self.face_key, self.input_key):
            if key not in results:
                raise KeyError(
                    f'PackTwoViewInputs needs {key!r} in the results of '
                    f'{results.get("img_path")} (is CropFace in the '
                    'pipeline?).')
        packed = super().transform(results)
        packed['inputs'] = dict(
            face=self.format_input(results[self.face_key]),
            context=packed['inputs'])
        return packed

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(face_key='{self.face_key}', "
                f"context_key='{self.input_key}', "
                f'meta_keys={self.meta_keys})')
