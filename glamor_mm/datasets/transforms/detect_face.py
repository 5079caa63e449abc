"""Online face detection for samples without a face box."""
import os
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmpretrain.registry import TRANSFORMS
from torch.utils.data import get_worker_info


@TRANSFORMS.register_module()
class DetectFace(BaseTransform):
    """Fill a missing ``face_bbox`` with an MMDet face detector.

    For data without face annotations and for demos. The detector is built
    lazily, once per process: the main process and every DataLoader worker
    build their own copy on first use (nothing is pickled or shared across a
    fork), and inside a worker it always runs on the CPU, whatever
    ``device`` says, since CUDA cannot be used in forked workers. For
    datasets, precomputing the boxes once with ``tools/detect_faces.py`` is
    much cheaper than detecting every epoch.

    When no face is found, ``face_bbox`` stays None and :class:`CropFace`'s
    ``missing_face`` policy decides (all-zero face or an error naming the
    image).

    Required Keys:

    - img (BGR uint8, e.g. from ``LoadImageFromFile``)
    - face_bbox (optional)

    Modified Keys:

    - face_bbox (set when it was None, or always if ``overwrite``)

    Added Keys:

    - face_det_bboxes (np.ndarray (K, 4): all detections, by score)
    - face_det_scores (np.ndarray (K,))

    Args:
        config (str): MMDet config of the detector. Defaults to
            ``'configs/face_detectors/dlib_hog.py'`` (the working directory's,
            else glamor_mm's own, see
            :func:`glamor_mm.utils.resolve_config_path`).
        checkpoint (str, optional): Detector weights. Defaults to None.
        device (str): Device of the main process's detector. Defaults to
            'cpu'.
        select (str): ``'score'`` (most confident) or ``'area'`` (largest).
            Defaults to 'score'.
        score_thr (float): Detections below it are ignored. Defaults to 0.
        overwrite (bool): Detect even when the sample has a box. Defaults
            to False.
    """

    def __init__(self,
                 config: str = 'configs/face_detectors/dlib_hog.py',
                 checkpoint: Optional[str] = None,
                 device: str = 'cpu',
                 select: str = 'score',
                 score_thr: float = 0.,
                 overwrite: bool = False) -> None:
        if select not in ('score', 'area'):
            raise ValueError(
                f"select must be 'score' or 'area', got {select!r}.")
        self.config = config
        self.checkpoint = checkpoint
        self.device = device
        self.select = select
        self.score_thr = score_thr
        self.overwrite = overwrite
        self._detector = None
        self._pid = None

    def __getstate__(self) -> dict:
        """Never pickle the detector: each process builds its own."""
        state = self.__dict__.copy()
        state['_detector'] = None
        state['_pid'] = None
        return state

    @property
    def detector(self):
        """The detector of this process, built on first use."""
        if self._detector is None or self._pid != os.getpid():
            from glamor_mm.apis import init_face_detector
            device = 'cpu' if get_worker_info() is not None else self.device
            self._detector = init_face_detector(
                self.config, self.checkpoint, device=device)
            self._pid = os.getpid()
        return self._detector

    def transform(self, results: dict) -> dict:
        """Detect faces in ``results['img']`` if the box is missing.

        Args:
            results (dict): The result dict.

        Returns:
            dict: The result dict with ``face_bbox`` filled when a face was
            found.
        """
        if results.get('face_bbox') is not None and not self.overwrite:
            return results
        from glamor_mm.apis import detect_faces, select_face
        bboxes, scores = detect_faces(
            self.detector, results['img'], score_thr=self.score_thr)[0]
        results['face_det_bboxes'] = bboxes
        results['face_det_scores'] = scores
        index = select_face(bboxes, scores, self.select)
        results['face_bbox'] = None if index is None else np.asarray(
            bboxes[index], dtype=np.float32)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(config={self.config!r}, '
                f'checkpoint={self.checkpoint!r}, device={self.device!r}, '
                f'select={self.select!r}, score_thr={self.score_thr}, '
                f'overwrite={self.overwrite})')
