"""Pack the face and context clips for the data preprocessor."""
from typing import List, Sequence

import numpy as np
from mmpretrain.registry import TRANSFORMS

from .pack_two_view_inputs import PackTwoViewInputs


@TRANSFORMS.register_module()
class PackTwoViewClipInputs(PackTwoViewInputs):
    """Pack the face and context clips of a video and its label.

    The frames of each view (``num_clips * clip_len`` images, clip after
    clip) are stacked into MMAction2's ``NCTHW`` layout (its
    ``FormatShape('NCTHW')``), dtype kept, BGR order like the image
    pipeline::

        {'inputs': {'face': uint8 Tensor num_clips x 3 x T x 96 x 96,
                    'context': uint8 Tensor num_clips x 3 x T x 112 x 112},
         'data_samples': DataSample(gt_label=..., metainfo: video_path,
                                    num_clips, clip_len, clip_starts,
                                    frame_inds, face_bboxes, ...)}

    ``frame_inds`` (the source frame of every clip frame, clip by clip)
    lets an analysis find the frames an attention map looks at;
    ``face_bboxes`` (one face box per frame, None where ``CropFace`` fed an
    all-zero face) lets :class:`ZeroedFaceHook` count those frames.

    Required Keys:

    - face_imgs (list[np.ndarray]): Face view, one ``h x w x C`` per frame.
    - imgs (list[np.ndarray]): Context view, one ``H x W x C`` per frame.
    - clip_len (int), num_clips (int)
    - gt_label (int, optional)
    - ``*meta_keys`` (optional)

    Deleted Keys:

    All other keys in the dict.

    Added Keys:

    - inputs (dict[str, torch.Tensor]): ``face`` and ``context`` clips.
    - data_samples (:obj:`~mmpretrain.structures.DataSample`)

    Args:
        face_key (str): Key of the face frames. Defaults to ``'face_imgs'``.
        context_key (str): Key of the context frames. Defaults to
            ``'imgs'``.
        meta_keys (Sequence[str]): Keys saved in the data sample's metainfo.
            Defaults to ``DEFAULT_META_KEYS``.
    """

    DEFAULT_META_KEYS = ('sample_idx', 'video_path', 'total_frames', 'avg_fps',
                         'ori_shape', 'num_clips', 'clip_len', 'clip_starts',
                         'frame_interval', 'frame_inds', 'face_bboxes')

    def __init__(self,
                 face_key: str = 'face_imgs',
                 context_key: str = 'imgs',
                 meta_keys: Sequence[str] = DEFAULT_META_KEYS) -> None:
        super().__init__(
            face_key=face_key, context_key=context_key, meta_keys=meta_keys)

    @staticmethod
    def stack_clips(frames: List[np.ndarray], num_clips: int,
                    clip_len: int) -> np.ndarray:
        """Stack ``num_clips * clip_len`` frames into ``NCTHW``.

        Args:
            frames (list[np.ndarray]): ``H x W x C`` (or ``H x W``) frames,
                clip after clip.
            num_clips (int): Number of clips.
            clip_len (int): Frames per clip.

        Returns:
            np.ndarray: Array of shape ``(num_clips, C, clip_len, H, W)``.
        """
        if len(frames) != num_clips * clip_len:
            raise ValueError(f'Expected {num_clips} x {clip_len} frames, got '
                             f'{len(frames)}.')
        array = np.stack(frames)
        if array.ndim == 3:
            array = array[..., None]
        array = array.reshape((num_clips, clip_len) + array.shape[1:])
        return np.ascontiguousarray(array.transpose(0, 4, 1, 2, 3))

    def transform(self, results: dict) -> dict:
        """Pack the two clip views.

        Args:
            results (dict): Result dict of the pipeline.

        Returns:
            dict: ``inputs`` (dict with ``face`` and ``context``) and
            ``data_samples``.
        """
        results = dict(results)
        for key in (self.face_key, self.input_key):
            if key in results:
                results[key] = self.stack_clips(results[key],
                                                results['num_clips'],
                                                results['clip_len'])
        return super().transform(results)
