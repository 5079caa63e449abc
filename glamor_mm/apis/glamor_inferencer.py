"""In-the-wild emotion recognition: detect every face, classify each."""
import os.path as osp
from pathlib import Path
from typing import Callable, Iterator, List, Optional, Sequence, Union

import mmcv
import numpy as np
import torch
from mmcv.transforms import Compose
from mmengine.config import Config
from mmpretrain.apis.base import BaseInferencer, InputType, ModelType
from mmpretrain.registry import TRANSFORMS

from .face_detection import (detect_faces, init_face_detector,
                             keep_default_scope)

VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v')
# Transforms of the classifier's test pipeline that make the face view.
FACE_TRANSFORMS = ('CropFace', 'ApplyToFace')
ALL_FACES_KEY = 'face_bboxes'


class GlamorInferencer(BaseInferencer):
    """Detect the faces of pictures and recognise the emotion of each.

    Shaped like MMPretrain's ``ImageClassificationInferencer``::

        >>> from glamor_mm.apis import GlamorInferencer
        >>> inferencer = GlamorInferencer(
        ...     'configs/glamor_r18_caers.py', 'epoch_60.pth',
        ...     detector='configs/face_detectors/dlib_hog.py')
        >>> result = inferencer('photo.jpg', show_dir='vis/')[0]
        >>> result['faces'][0]['pred_class'], result['faces'][0]['bbox']

    For every picture:

    1. the face detector (an MMDet model, see ``configs/face_detectors/``)
       finds the K faces;
    2. the face view of each face is made by the classifier config's test
       pipeline (``CropFace`` and ``ApplyToFace``);
    3. the context view is made **once** by the rest of that pipeline
       (``MaskFace``, ``Resize``, ``CenterCrop``...), with ``MaskFace``
       masking **all K detected faces**: each face's own region is hidden,
       as in training, and no other face is visible in the shared context.
       (Training masks only the annotated face, so other people's faces
       stay visible there; here one shared context must serve every face,
       and masking all of them is the only choice that hides each face from
       its own context — a face left visible would leak its expression into
       the context stream of that very face.)
    4. the classifier's ``predict_faces`` runs the context encoder once for
       the picture and the face encoder on the K faces.

    Args:
        model (str | Config | BaseModel): Classifier config (path or object)
            or a built ``GlamorClassifier``.
        pretrained (str, optional): Classifier checkpoint. Defaults to None
            (random weights).
        detector (str | Config): Face detector config. Defaults to
            ``'configs/face_detectors/dlib_hog.py'``.
        detector_weights (str, optional): Detector checkpoint (not needed by
            the dlib detectors). Defaults to None.
        device (str, optional): Device of both models. Defaults to None
            (classifier: CPU; detector: CPU).
        det_score_thr (float): Detections below it are ignored.
            Defaults to 0.
        classes (Sequence[str], optional): Class names. Defaults to the
            checkpoint's or the dataset's.
        backend (str): ``'pytorch'``, or ``'onnxruntime'`` to run a model
            exported by ``tools/deployment/pytorch2onnx.py`` (``pretrained``
            is then the ``.onnx`` file; ``model`` still gives the test
            pipeline). Both run the context encoder once per picture.
            Defaults to 'pytorch'.
        ort_threads (int): ONNX Runtime's threads per call (see
            :class:`~glamor_mm.deployment.OnnxRuntimeClassifier`); PyTorch
            uses the process's ``torch.set_num_threads``. Defaults to 1.
    """

    visualize_kwargs = {
        'show', 'wait_time', 'show_dir', 'draw_score', 'draw_attention'
    }

    def __init__(self,
                 model: ModelType,
                 pretrained: Optional[str] = None,
                 detector: Union[str, Config] = (
                     'configs/face_detectors/dlib_hog.py'),
                 detector_weights: Optional[str] = None,
                 device: Optional[str] = None,
                 det_score_thr: float = 0.,
                 classes: Optional[Sequence[str]] = None,
                 backend: str = 'pytorch',
                 ort_threads: int = 1) -> None:
        if backend not in ('pytorch', 'onnxruntime'):
            raise ValueError("GlamorInferencer: backend must be 'pytorch' or "
                             f"'onnxruntime', got {backend!r}.")
        onnx_file = pretrained if backend == 'onnxruntime' else None
        if backend == 'onnxruntime' and not onnx_file:
            raise ValueError("GlamorInferencer: backend='onnxruntime' needs "
                             'the exported .onnx file as `pretrained`.')
        with keep_default_scope('mmpretrain'):
            super().__init__(
                model=model,
                pretrained=(pretrained or False) if onnx_file is None else
                False,
                device=device)
        if onnx_file is not None:
            from glamor_mm.deployment import OnnxRuntimeClassifier
            self.model = OnnxRuntimeClassifier(
                onnx_file, num_threads=ort_threads, device=device or 'cpu')
            classes = classes or self.model.dataset_meta['classes']
        if not hasattr(self.model, 'predict_faces'):
            raise TypeError(
                f'{type(self.model).__name__} has no predict_faces(); '
                'GlamorInferencer needs a two-view model such as '
                'GlamorClassifier.')
        self.classes = classes or getattr(self.model, '_dataset_meta',
                                          {}).get('classes')
        self.detector = init_face_detector(
            detector, detector_weights, device=device or 'cpu')
        self.det_score_thr = det_score_thr

    def _init_pipeline(self, cfg: Config) -> Callable:
        """Split the test pipeline into face-view and context-view parts.

        Returns:
            Callable: ``input -> picture dict`` (see :meth:`prepare`).
        """
        face_cfgs, context_cfgs, pack_cfg = [], [], None
        for t in cfg.test_dataloader.dataset.pipeline:
            if t['type'].startswith('LoadImage') or t['type'] == 'DetectFace':
                continue  # `prepare` loads the image and detects faces
            if t['type'].startswith('Pack'):
                pack_cfg = t
            elif t['type'] in FACE_TRANSFORMS:
                face_cfgs.append(t)
            else:
                if t['type'] == 'MaskFace':
                    t = dict(t, bbox_key=ALL_FACES_KEY)
                context_cfgs.append(t)
        if pack_cfg is None or not face_cfgs:
            raise ValueError(
                'GlamorInferencer: the test pipeline of the config needs a '
                'CropFace and a packing transform (PackTwoViewInputs).')
        with keep_default_scope('mmpretrain'):
            self.face_pipeline = Compose(
                [TRANSFORMS.build(t) for t in face_cfgs])
            self.context_pipeline = Compose(
                [TRANSFORMS.build(t) for t in context_cfgs])
            self.pack = TRANSFORMS.build(pack_cfg)
        return self.prepare

    def prepare(self, input_: InputType) -> dict:
        """Detect the faces of one picture and build its model inputs.

        Args:
            input_ (str | np.ndarray): Image path or BGR uint8 array.

        Returns:
            dict: ``img_path``, ``ori_shape``, ``bboxes`` (K, 4),
            ``det_scores`` (K,), ``context_view`` (BGR uint8, all faces
            masked) and ``inputs`` (``face``: K uint8 3×h×w tensors,
            ``context``: the one context tensor, empty when K = 0).
        """
        if isinstance(input_, np.ndarray):
            img, img_path = input_, None
        else:
            img_path = str(input_)
            img = mmcv.imread(img_path)
            if img is None:
                raise ValueError(f'Failed to read image {img_path}.')
        bboxes, scores = detect_faces(self.detector, img,
                                      self.det_score_thr)[0]
        base = dict(
            img=img,
            img_path=img_path,
            ori_shape=img.shape[:2],
            img_shape=img.shape[:2])
        context = self.context_pipeline(dict(base, **{ALL_FACES_KEY: bboxes}))
        picture = dict(
            img_path=img_path,
            ori_shape=img.shape[:2],
            bboxes=bboxes,
            det_scores=scores,
            context_view=context['img'],
            inputs=dict(face=[], context=[]))
        for box in bboxes:
            face = self.face_pipeline(dict(base, face_bbox=box))
            packed = self.pack(dict(face, img=context['img']))['inputs']
            picture['inputs']['face'].append(packed['face'])
            picture['inputs']['context'][:1] = [packed['context']]
        return picture

    def preprocess(self,
                   inputs: List[InputType],
                   batch_size: int = 1) -> Iterator[List[dict]]:
        """Pictures in chunks; faces are not collated across pictures."""
        yield from self._get_chunk_data(map(self.pipeline, inputs), batch_size)

    @torch.no_grad()
    def forward(self, pictures: List[dict]) -> List[dict]:
        """Classify the faces of each picture (one context pass each).

        Returns:
            list[dict]: The picture dicts with ``faces`` (list of
            DataSample with ``pred_score``, ``pred_label``, ``attention``,
            ``fusion_weights`` and metainfo ``face_bbox``, ``det_score``).
        """
        for picture in pictures:
            picture['faces'] = []
            if len(picture['bboxes']) == 0:
                continue
            data = self.model.data_preprocessor(
                dict(inputs=picture.pop('inputs')), False)
            faces = self.model.predict_faces(data['inputs']['face'],
                                             data['inputs']['context'])
            for face, box, score in zip(faces, picture['bboxes'],
                                        picture['det_scores']):
                face.set_metainfo(
                    dict(
                        face_bbox=box,
                        det_score=float(score),
                        img_path=picture['img_path'],
                        ori_shape=picture['ori_shape']))
            picture['faces'] = faces
        return pictures

    def classify_faces(self, input_: InputType) -> list:
        """Detect and classify the faces of one picture (no progress bar).

        For streams (see ``demo/video_demo.py``).

        Args:
            input_ (str | np.ndarray): Image path or BGR uint8 array.

        Returns:
            list[DataSample]: One prediction per face (see :meth:`forward`).
        """
        return self.forward([self.prepare(input_)])[0]['faces']

    def _inputs_to_list(self, inputs: InputType) -> list:
        """Paths, arrays, folders (their images) or a video (its frames)."""
        if isinstance(
                inputs,
            (str, Path)) and str(inputs).lower().endswith(VIDEO_EXTENSIONS):
            video = mmcv.VideoReader(str(inputs))
            return [frame for frame in video]
        if isinstance(inputs, Path):
            inputs = str(inputs)
        if isinstance(inputs, str) and osp.isdir(inputs):
            return sorted(super()._inputs_to_list(inputs))
        return super()._inputs_to_list(inputs)

    def visualize(self,
                  ori_inputs: List[InputType],
                  preds: List[dict],
                  show: bool = False,
                  wait_time: float = 0,
                  show_dir: Optional[str] = None,
                  draw_score: bool = True,
                  draw_attention: bool = True) -> Optional[List[np.ndarray]]:
        """Draw boxes, labels and attention tiles; PNGs into ``show_dir``.

        Returns:
            list[np.ndarray] | None: RGB drawings, or None when neither
            ``show`` nor ``show_dir`` is given.
        """
        if not show and show_dir is None:
            return None
        from glamor_mm.visualization import FaceEmotionVisualizer
        visualizer = FaceEmotionVisualizer.get_instance(
            f'glamor_inferencer_{id(self)}')
        drawings = []
        for i, (input_, picture) in enumerate(zip(ori_inputs, preds)):
            image = input_ if isinstance(input_, np.ndarray) else mmcv.imread(
                str(input_))
            name = Path(input_).stem if picture['img_path'] else f'{i:06d}'
            out_file = None if show_dir is None else osp.join(
                show_dir, f'{name}.png')
            drawings.append(
                visualizer.visualize_faces(
                    image[..., ::-1],
                    picture['faces'],
                    classes=self.classes,
                    context=picture['context_view'][..., ::-1],
                    draw_score=draw_score,
                    draw_attention=draw_attention,
                    show=show,
                    wait_time=wait_time,
                    out_file=out_file,
                    name=name))
        return drawings

    def postprocess(self,
                    preds: List[dict],
                    visualization: Optional[List[np.ndarray]],
                    return_datasamples: bool = False) -> list:
        """Per picture, the faces as plain dicts (or DataSamples).

        Returns:
            list: One item per picture: a list of DataSample if
            ``return_datasamples``, else ``dict(img_path, faces=[dict(bbox,
            det_score, pred_label, pred_class, pred_score, pred_scores,
            attention, fusion_weights)], visualization)``.
        """
        if return_datasamples:
            return [picture['faces'] for picture in preds]
        results = []
        for i, picture in enumerate(preds):
            faces = []
            for face in picture['faces']:
                label = int(face.pred_label)
                attention = face.get('attention')
                weights = face.get('fusion_weights')
                faces.append(
                    dict(
                        bbox=[float(v) for v in face.metainfo['face_bbox']],
                        det_score=face.metainfo['det_score'],
                        pred_label=label,
                        pred_class=self.classes[label]
                        if self.classes else None,
                        pred_score=float(face.pred_score[label]),
                        pred_scores=face.pred_score.cpu().numpy(),
                        attention=None
                        if attention is None else attention.cpu().numpy(),
                        fusion_weights=None
                        if weights is None else [float(w) for w in weights]))
            results.append(
                dict(
                    img_path=picture['img_path'],
                    faces=faces,
                    visualization=None
                    if visualization is None else visualization[i]))
        return results

    @staticmethod
    def list_models(pattern: Optional[str] = None) -> list:
        """No model zoo: models are given by config and checkpoint."""
        return []
