"""Common MMDet wrapper for dlib's face detectors."""
from abc import abstractmethod
from typing import List, Optional, Tuple, Union

import numpy as np
import torch
from mmdet.models.detectors import BaseDetector
from mmdet.structures import OptSampleList, SampleList
from mmengine.structures import InstanceData
from torch import Tensor

FACE_CLASSES = ('face', )


def import_dlib():
    """Import dlib with an installation hint when it is missing.

    Returns:
        module: The ``dlib`` module.
    """
    try:
        import dlib
    except ImportError as err:  # pragma: no cover - depends on the env
        raise ImportError(
            'dlib face detectors need dlib: `pip install dlib-bin` '
            '(prebuilt wheel) or `pip install dlib`.') from err
    return dlib


class BaseDlibFaceDetector(BaseDetector):
    """Base class of the dlib face detectors wrapped as MMDet detectors.

    dlib's detectors are not trainable PyTorch modules; this wrapper gives
    them MMDet's interface so that ``mmdet.apis.init_detector``,
    ``inference_detector``, ``DetInferencer`` and MMEngine's test loop run
    them like any other detector:

    - inputs come from MMDet's ``DetDataPreprocessor`` *without*
      normalisation and with BGR→RGB conversion (dlib wants RGB uint8);
    - each image is cut back to its ``img_shape`` (padding removed) before
      detection;
    - boxes are returned as ``DetDataSample.pred_instances`` with
      ``bboxes`` (x1, y1, x2, y2, float), ``scores`` and ``labels`` (all 0,
      the single class ``'face'``), rescaled to the original image with the
      ``scale_factor`` written by a ``Resize`` of the test pipeline when
      ``rescale=True``, and clipped to the image.

    The dlib object is created lazily on first use, so a model built in a
    parent process can be sent to forked or spawned workers.

    Args:
        score_thr (float): Detections with a score below it are dropped.
            Defaults to 0.
        backbone (dict, optional): Must be empty: dlib's models carry their
            own fixed features. Accepted because ``init_detector`` reads
            ``cfg.model.backbone`` (configs set ``backbone=dict()``).
            Defaults to None.
        data_preprocessor (dict, optional): Defaults to MMDet's
            ``DetDataPreprocessor`` with ``bgr_to_rgb=True`` and no
            mean/std. A preprocessor that normalises is rejected.
        init_cfg (dict, optional): Unused (no weights). Defaults to None.
    """

    def __init__(self,
                 score_thr: float = 0.,
                 backbone: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if backbone:
            raise ValueError(
                f'{type(self).__name__} has no configurable backbone, '
                f'got backbone={backbone}.')
        if data_preprocessor is None:
            data_preprocessor = dict(
                type='mmdet.DetDataPreprocessor', bgr_to_rgb=True)
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if getattr(self.data_preprocessor, '_enable_normalize', False) \
                or not getattr(self.data_preprocessor, '_channel_conversion',
                               False):
            raise ValueError(
                f'{type(self).__name__} needs raw RGB pixels: use a '
                'DetDataPreprocessor with bgr_to_rgb=True and without '
                'mean/std, got '
                f'{type(self.data_preprocessor).__name__}.')
        self.score_thr = score_thr
        self._dlib_detector = None
        self._dataset_meta = dict(classes=FACE_CLASSES)

    @property
    def dataset_meta(self) -> dict:
        """dict: Meta information; ``classes`` is always ``('face',)``.

        ``init_detector`` and ``DetInferencer`` assign COCO's classes to a
        model loaded without a checkpoint; a dlib detector only knows
        faces, so the class names are kept.
        """
        return self._dataset_meta

    @dataset_meta.setter
    def dataset_meta(self, meta: dict) -> None:
        self._dataset_meta = dict(meta, classes=FACE_CLASSES)

    @property
    def dlib_detector(self):
        """The dlib detector object, built on first use."""
        if self._dlib_detector is None:
            self._dlib_detector = self.build_dlib_detector()
        return self._dlib_detector

    def __getstate__(self) -> dict:
        """Drop the dlib object when pickled (it is rebuilt lazily)."""
        state = self.__dict__.copy()
        state['_dlib_detector'] = None
        return state

    @abstractmethod
    def build_dlib_detector(self):
        """Create the dlib detector object."""

    @abstractmethod
    def detect(self, img: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Run dlib on one image.

        Args:
            img (np.ndarray): RGB uint8 image of shape (H, W, 3).

        Returns:
            tuple[np.ndarray, np.ndarray]: Boxes of shape (N, 4) as float32
            (x1, y1, x2, y2) with exclusive x2/y2 (dlib's inclusive
            ``right``/``bottom`` + 1), not clipped, and scores of shape (N,).
        """

    @staticmethod
    def rects_to_boxes(rects) -> np.ndarray:
        """Convert dlib rectangles to an (N, 4) float32 box array."""
        boxes = [[r.left(), r.top(),
                  r.right() + 1,
                  r.bottom() + 1] for r in rects]
        return np.asarray(boxes, dtype=np.float32).reshape(-1, 4)

    def test_step(self, data: Union[dict, tuple, list]) -> SampleList:
        """Detect faces in a batch of the test pipeline's samples.

        The test pipeline gives uint8 BGR images (3, H, W). These are given
        to dlib as they are, flipped to RGB, with the metainfo the data
        preprocessor would add (``batch_input_shape``, ``pad_shape``):
        the preprocessor's float batch, turned back into uint8 for dlib,
        gives the same pixels for several more milliseconds a 712x400
        frame. Other inputs go through the data preprocessor.

        Args:
            data (dict | tuple | list): The test pipeline's batch.

        Returns:
            list[DetDataSample]: The samples with ``pred_instances``.
        """
        inputs = data.get('inputs') if isinstance(data, dict) else None
        if not (isinstance(inputs, (list, tuple)) and inputs and all(
                isinstance(img, Tensor) and img.dtype == torch.uint8
                and img.dim() == 3 and img.shape[0] == 3 for img in inputs)):
            return super().test_step(data)
        samples = data['data_samples']
        divisor = getattr(self.data_preprocessor, 'pad_size_divisor', 1)
        pad_shapes = [
            tuple(-(-size // divisor) * divisor for size in img.shape[1:])
            for img in inputs
        ]
        batch_shape = tuple(map(max, zip(*pad_shapes)))
        for sample, pad_shape in zip(samples, pad_shapes):
            sample.set_metainfo(
                dict(batch_input_shape=batch_shape, pad_shape=pad_shape))
        return self.predict([img.flip(0) for img in inputs], samples)

    val_step = test_step

    def _images(self, batch_inputs: Union[Tensor, List[Tensor]],
                batch_data_samples: OptSampleList) -> List[np.ndarray]:
        """Turn a batch (N, 3, H, W), or a list of (3, H, W), back into
        unpadded RGB uint8 images."""
        images = []
        for i, img in enumerate(batch_inputs):
            if batch_data_samples is not None and \
                    'img_shape' in batch_data_samples[i]:
                h, w = batch_data_samples[i].img_shape[:2]
                img = img[:, :h, :w]
            if img.dtype != torch.uint8:
                img = img.detach().round().clamp(0, 255).to(torch.uint8)
            # a copy with fresh strides: np.ascontiguousarray keeps the odd
            # strides of a 1x1 image, which dlib refuses
            images.append(
                np.array(img.permute(1, 2, 0).cpu().numpy(), order='C'))
        return images

    def _forward(self,
                 batch_inputs: Tensor,
                 batch_data_samples: OptSampleList = None
                 ) -> List[Tuple[Tensor, Tensor]]:
        """Raw detections in input coordinates.

        Args:
            batch_inputs (Tensor): RGB images of shape (N, 3, H, W).
            batch_data_samples (list[DetDataSample], optional): Used for
                ``img_shape``. Defaults to None.

        Returns:
            list[tuple[Tensor, Tensor]]: Per image, boxes (K, 4) and scores
            (K,) above ``score_thr``.
        """
        results = []
        for img in self._images(batch_inputs, batch_data_samples):
            boxes, scores = self.detect(img)
            keep = scores >= self.score_thr
            results.append((torch.from_numpy(boxes[keep]),
                            torch.from_numpy(scores[keep])))
        return results

    def predict(self,
                batch_inputs: Tensor,
                batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        """Detect faces and attach ``pred_instances`` to the samples.

        Args:
            batch_inputs (Tensor): RGB images of shape (N, 3, H, W).
            batch_data_samples (list[DetDataSample]): Samples with
                ``img_shape`` and, after a ``Resize``, ``scale_factor``.
            rescale (bool): Map boxes back to the original image.
                Defaults to True.

        Returns:
            list[DetDataSample]: The samples with ``pred_instances``
            (``bboxes`` (K, 4), ``scores`` (K,), ``labels`` (K,)), sorted by
            decreasing score.
        """
        results = []
        raw = self._forward(batch_inputs, batch_data_samples)
        for (boxes, scores), sample in zip(raw, batch_data_samples):
            shape = sample.img_shape[:2]
            if rescale:
                scale = sample.metainfo.get('scale_factor', (1., 1.))
                boxes = boxes / boxes.new_tensor(scale).repeat(2)
                shape = sample.metainfo.get('ori_shape', shape)[:2]
            boxes[:, 0::2] = boxes[:, 0::2].clamp(0, shape[1])
            boxes[:, 1::2] = boxes[:, 1::2].clamp(0, shape[0])
            order = torch.argsort(scores, descending=True)
            results.append(
                InstanceData(
                    bboxes=boxes[order],
                    scores=scores[order],
                    labels=torch.zeros(len(order), dtype=torch.long)))
        return self.add_pred_to_datasample(batch_data_samples, results)

    def loss(self, batch_inputs: Tensor,
             batch_data_samples: SampleList) -> dict:
        """dlib detectors are used as they ship: training is not supported."""
        raise NotImplementedError(
            f'{type(self).__name__} wraps a pretrained dlib model and cannot '
            'be trained; train an MMDet detector (e.g. '
            'configs/face_detectors/retinanet_r50_fpn_widerface.py) instead.')

    def extract_feat(self, batch_inputs: Tensor):
        """dlib detectors expose no feature maps."""
        raise NotImplementedError(
            f'{type(self).__name__} exposes no feature maps.')


__all__ = ['BaseDlibFaceDetector', 'FACE_CLASSES', 'import_dlib']
