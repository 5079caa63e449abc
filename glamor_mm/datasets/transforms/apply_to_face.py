"""Run image transforms on the face view."""
from typing import Callable, Iterator, List, Union

from mmcv.transforms import BaseTransform, Compose
from mmpretrain.registry import TRANSFORMS


@TRANSFORMS.register_module()
class ApplyToFace(BaseTransform):
    """Apply stock image transforms to the face view ``face_img``.

    The wrapped transforms see a separate result dict whose ``img`` is the
    face view, so any MMCV / MMPretrain image transform works unchanged and
    the keys it writes (``flip``, ``img_shape``, ...) do not overwrite those
    of the context view. The papers' face augmentation is::

        dict(type='ApplyToFace', transforms=[
            dict(type='RandomFlip', prob=0.5, direction='horizontal'),
            # uniform angle in [-20, 20] degrees
            dict(type='Rotate', magnitude_range=(0, 20), magnitude_std='inf',
                 prob=1.0, pad_val=0, interpolation='bilinear'),
        ])

    Required Keys:

    - face_img (np.ndarray): ``h x w x C`` face view (from :class:`CropFace`).
    - img_path (str, optional): Passed to the wrapped transforms.

    Modified Keys:

    - face_img

    Args:
        transforms (list[dict | callable]): Transforms (configs) to apply.
    """

    def __init__(self, transforms: List[Union[dict, Callable]]) -> None:
        self.transforms = Compose([
            TRANSFORMS.build(t) if isinstance(t, dict) else t
            for t in transforms
        ])

    def transform(self, results: dict) -> dict:
        """Transform ``results['face_img']``.

        Args:
            results (dict): Result dict with ``face_img``.

        Returns:
            dict: The result dict with the transformed ``face_img``.
        """
        face = results['face_img']
        face_results = self.transforms(
            dict(
                img=face,
                img_shape=face.shape[:2],
                ori_shape=face.shape[:2],
                img_path=results.get('img_path')))
        if face_results is None:
            raise ValueError(f'{self!r} dropped the face view of '
                             f'{results.get("img_path")}.')
        results['face_img'] = face_results['img']
        return results

    def __iter__(self) -> Iterator:
        """Iterate over the wrapped transforms.

        MMCV's ``cache_random_params`` (used by ``TransformBroadcaster(...,
        share_random_params=True)`` to give every frame of a clip the same
        flip, angle, ...) reaches nested transforms by iterating over
        wrappers.
        """
        return iter(self.transforms)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(transforms={self.transforms})'
