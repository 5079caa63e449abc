"""In-the-wild emotion recognition: detect every face, classify each."""
import fnmatch
import logging
import os.path as osp
from math import ceil
from pathlib import Path
from typing import (Callable, Iterable, Iterator, List, Optional, Sequence,
                    Union)

import mmcv
import numpy as np
import torch
from mmcv.transforms import Compose, LoadImageFromFile
from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.registry import DefaultScope
from mmpretrain.apis.base import BaseInferencer, InputType, ModelType
from mmpretrain.datasets.transforms import PackInputs
from mmpretrain.registry import TRANSFORMS
from mmpretrain.utils import track
from modelindex import load as load_model_index

from glamor_mm.datasets.transforms import (ApplyToFace, CropFace, DetectFace,
                                           MaskFace, PackTwoViewInputs)
from glamor_mm.utils import package_file, resolve_config_path
from glamor_mm.utils.default_model import (DEFAULT_CONFIG, DEFAULT_MODEL_NOTE,
                                           default_checkpoint)
from glamor_mm.checkpoint import load_checkpoint_checked
from .face_detection import detect_faces, init_face_detector
from .image_files import read_image
from .input_failures import (DEFAULT_MAX_CONSECUTIVE_FAILURES, NOT_INPUT_ERRORS,
                             InputFailures)
from .video_frames import VIDEO_EXTENSIONS, read_video_frames

ALL_FACES_KEY = 'face_bboxes'


class DrawingNames:
    """File names of the drawings of one call, never the same twice.

    Like MMDet's ``DetInferencer``: a picture file keeps its own name (so
    ``photo.jpg`` and ``photo.png`` get two drawings); a picture given as an
    array (e.g. a video frame) is named by its number among the arrays,
    ``000000.png``, ``000001.png``... A name already given (the same file
    name from another folder, a file named like a frame, a frame named like
    a file) gets ``_1``, ``_2``... Only the names of files and of renamed
    frames are kept, so a stream of frames adds nothing to memory.

    Example:
        >>> names = DrawingNames()
        >>> frame = np.zeros((8, 8, 3), np.uint8)
        >>> [names(p) for p in (frame, 'a/000000.png', 'b/000000.png')]
        ['000000.png', '000000_1.png', '000000_2.png']
    """

    def __init__(self) -> None:
        self.used = set()
        self.num_frames = 0

    def _taken(self, name: str) -> bool:
        """Whether ``name`` was given, to a file or to a frame."""
        stem = name[:-len('.png')] if name.endswith('.png') else ''
        is_frame = stem.isdigit() and f'{int(stem):06d}' == stem and int(
            stem) < self.num_frames
        return is_frame or name in self.used

    def __call__(self, input_: InputType) -> str:
        """The drawing name of ``input_`` (a path or an array)."""
        if isinstance(input_, np.ndarray):
            name = f'{self.num_frames:06d}.png'
            self.num_frames += 1
            if name not in self.used:
                return name
        else:
            name = osp.basename(str(input_))
        stem, ext = osp.splitext(name)
        unique, k = name, 0
        while self._taken(unique):
            k += 1
            unique = f'{stem}_{k}{ext}'
        self.used.add(unique)
        return unique


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
       the picture and the face encoder on the K faces (for ``batch_size``
       pictures in one call, each face paired with its picture's context).

    A face-only classifier (an MMPretrain ``ImageClassifier`` whose test
    pipeline ends with ``PackInputs(input_key='face_img')``, such as
    ``configs/baselines/mini-xception_fer2013_face.py``) works the same
    way: its whole test pipeline makes each face's input, there is no
    context view, and its faces have no ``attention`` or
    ``fusion_weights``.

    Args:
        model (str | Config | BaseModel, optional): Classifier config (path
            or object) or a built model. A relative config path that is
            not in the working directory is looked up in glamor_mm's configs
            (:func:`glamor_mm.utils.resolve_config_path`), as is
            ``detector``. Defaults to None: the face-only FER2013
            mini-Xception that ``tools/setup_env.sh`` converts into the
            cache (:mod:`glamor_mm.utils.default_model`), with its
            checkpoint; its drawn labels say that it is a face-only
            FER2013 model.
        pretrained (str, optional): Classifier checkpoint. Defaults to None
            (random weights, or the cached FER2013 weights when ``model``
            is None).
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
        partial_load (bool): Load a checkpoint that does not fit the model
            (missing, unexpected or mis-shaped tensors) as far as it fits,
            instead of raising ``CheckpointMismatchError``. Defaults to
            False.
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
                 model: Optional[ModelType] = None,
                 pretrained: Optional[str] = None,
                 detector: Union[str, Config] = (
                     'configs/face_detectors/dlib_hog.py'),
                 detector_weights: Optional[str] = None,
                 device: Optional[str] = None,
                 det_score_thr: float = 0.,
                 classes: Optional[Sequence[str]] = None,
                 partial_load: bool = False,
                 backend: str = 'pytorch',
                 ort_threads: int = 1) -> None:
        if backend not in ('pytorch', 'onnxruntime'):
            raise ValueError("GlamorInferencer: backend must be 'pytorch' or "
                             f"'onnxruntime', got {backend!r}.")
        self.model_note = None
        if model is None:
            model, self.model_note = DEFAULT_CONFIG, DEFAULT_MODEL_NOTE
            pretrained = pretrained or default_checkpoint()
        if backend == 'onnxruntime' and not pretrained:
            raise ValueError("GlamorInferencer: backend='onnxruntime' needs "
                             'the exported .onnx file as `pretrained`.')
        if isinstance(model, str) and model.endswith('.py'):
            model = resolve_config_path(model)
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            super().__init__(model=model, pretrained=False, device=device)
        if backend == 'onnxruntime':
            from glamor_mm.deployment import OnnxRuntimeClassifier
            self.model = OnnxRuntimeClassifier(
                pretrained, num_threads=ort_threads, device=device or 'cpu')
            classes = classes or self.model.dataset_meta['classes']
            if classes:
                self.model.check_classes(classes)
        elif pretrained:  # sets the model's _dataset_meta
            load_checkpoint_checked(
                self.model,
                pretrained,
                partial=partial_load,
                opt_in='pass partial_load=True (--partial-load in the demos)')
        if not (self.face_only or hasattr(self.model, 'predict_faces')):
            raise TypeError(
                f'{type(self.model).__name__} has no predict_faces(); '
                'GlamorInferencer needs a two-view model such as '
                'GlamorClassifier, or a face-only classifier whose test '
                "pipeline ends with PackInputs(input_key='face_img').")
        self.classes = classes or getattr(self.model, '_dataset_meta',
                                          {}).get('classes')
        self.detector = init_face_detector(
            detector, detector_weights, device=device or 'cpu')
        self.det_score_thr = det_score_thr

    def _init_pipeline(self, cfg: Config) -> Callable:
        """Split the test pipeline into face-view and context-view parts.

        The transforms are built and sorted by their classes, i.e. by what
        they do, whatever name or scope (``'mmpretrain.CropFace'``) the
        config gives them:

        - loading (:class:`LoadImageFromFile`) and :class:`DetectFace` are
          left out: :meth:`prepare` loads the image (as float32 if the
          loading transform has ``to_float32``) and detects every face;
        - :class:`CropFace` and :class:`ApplyToFace` make the face view;
        - :class:`PackTwoViewInputs` packs both views;
        - every other transform makes the context view, with
          :class:`MaskFace` masking all detected faces.

        A face-only pipeline (packed by MMPretrain's ``PackInputs``) has no
        context view: all its other transforms make the face input.

        Returns:
            Callable: ``input -> picture dict`` (see :meth:`prepare`).
        """
        face, context, pack = [], [], None
        self.to_float32 = False
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            transforms = [
                TRANSFORMS.build(t)
                for t in cfg.test_dataloader.dataset.pipeline
            ]
        for t in transforms:
            if isinstance(t, LoadImageFromFile):
                self.to_float32 = t.to_float32
                continue
            if isinstance(t, DetectFace):
                continue
            if isinstance(t, PackInputs):
                pack = t
            elif isinstance(t, (CropFace, ApplyToFace)):
                face.append(t)
            else:
                if isinstance(t, MaskFace):
                    t.bbox_key = ALL_FACES_KEY
                context.append(t)
        self.face_only = not isinstance(pack, (PackTwoViewInputs, type(None)))
        if self.face_only:  # in the pipeline's order
            face = [t for t in transforms if t in face or t in context]
            context = []
        if pack is None or not any(isinstance(t, CropFace) for t in face):
            raise ValueError(
                'GlamorInferencer: the test pipeline of the config needs a '
                'CropFace and a PackTwoViewInputs (or PackInputs for a '
                'face-only model).')
        self.face_pipeline = Compose(face)
        self.context_pipeline = Compose(context)
        self.pack = pack
        return self.prepare

    def prepare(self,
                input_: InputType,
                bboxes: Optional[np.ndarray] = None,
                det_scores: Optional[np.ndarray] = None) -> dict:
        """Detect the faces of one picture and build its model inputs.

        Args:
            input_ (str | np.ndarray): Image path or BGR uint8 array.
            bboxes (np.ndarray, optional): The faces' boxes (K, 4), when
                they are known (followed from an earlier frame): the
                detector is then not run. Defaults to None.
            det_scores (np.ndarray, optional): Their detection scores (K,).
                Defaults to None (NaN).

        Returns:
            dict: ``img_path``, ``ori_shape``, ``bboxes`` (K, 4),
            ``det_scores`` (K,), ``context_view`` (BGR uint8, all faces
            masked; None for a face-only model) and ``inputs`` (``face``: K uint8 3×h×w tensors,
            ``context``: the one context tensor, empty when K = 0).

        Raises:
            OSError: If the image file cannot be read.
            ValueError: If an array is not of shape (H, W, 3).
        """
        if isinstance(input_, np.ndarray):
            img, img_path = input_, None
            if img.ndim != 3 or img.shape[2] != 3:
                raise ValueError('a picture given as an array must be BGR '
                                 f'of shape (H, W, 3), got {img.shape}.')
        else:
            img_path = str(input_)
            img = read_image(img_path)
        if bboxes is None:
            bboxes, scores = detect_faces(self.detector, img,
                                          self.det_score_thr)[0]
        else:
            bboxes = np.asarray(bboxes, np.float32).reshape(-1, 4)
            scores = np.full(len(bboxes), np.nan, np.float32) \
                if det_scores is None else np.asarray(det_scores, np.float32)
        base = dict(
            img=img.astype(np.float32) if self.to_float32 else img,
            img_path=img_path,
            ori_shape=img.shape[:2],
            img_shape=img.shape[:2])
        context = None if self.face_only else self.context_pipeline(
            dict(base, **{ALL_FACES_KEY: bboxes}))
        picture = dict(
            img_path=img_path,
            ori_shape=img.shape[:2],
            bboxes=bboxes,
            det_scores=scores,
            context_view=None if context is None else np.clip(
                context['img'], 0, 255).astype(np.uint8),
            error=None,
            inputs=dict(face=[], context=[]))
        for box in bboxes:
            face = self.face_pipeline(dict(base, face_bbox=box))
            if self.face_only:
                picture['inputs']['face'].append(self.pack(face)['inputs'])
                continue
            packed = self.pack(dict(face, img=context['img']))['inputs']
            picture['inputs']['face'].append(packed['face'])
            picture['inputs']['context'][:1] = [packed['context']]
        return picture

    def __call__(self,
                 inputs: Union[InputType, Iterable[InputType]],
                 return_datasamples: bool = False,
                 batch_size: int = 1,
                 max_consecutive_failures: int = (
                     DEFAULT_MAX_CONSECUTIVE_FAILURES),
                 **kwargs) -> Union[list, Iterator]:
        """Detect and classify the faces of pictures, a folder or a video.

        Args:
            inputs: An image path or BGR array, a folder (its images, by
                name), a list of those, a video file (its frames), or any
                other iterable of images and paths (e.g. a generator of
                frames).
            return_datasamples (bool): Return DataSamples (see
                :meth:`postprocess`). Defaults to False.
            batch_size (int): Pictures classified together: the faces of
                a chunk of pictures go through the model in one call, each
                picture's context view encoded once. Defaults to 1.
            max_consecutive_failures (int): Stop, with a
                :class:`~glamor_mm.apis.input_failures.TooManyFailuresError`,
                when this many pictures in a row fail (a broken detector or
                model fails on all of them); 0 never stops. Defaults to 10.
            **kwargs: Arguments of :meth:`visualize` (``show_dir``, ...).

        Returns:
            list | Iterator: One result per picture (see
            :meth:`postprocess`). For a video file or an iterable that is not
            a list, a generator that yields them as the frames are read:
            memory does not grow with the length of the video.

            A picture of a folder, list or iterable that cannot be read or
            processed (an empty or corrupt file, a detector error on it) is
            skipped with a warning naming it and the reason, which its
            result's ``error`` gives (with no face); a summary of them is
            logged at the end. Running out of memory is raised at once, and
            ``max_consecutive_failures`` failures in a row stop the run. A
            single picture that cannot be read or processed raises its
            error. A video that cannot be opened, or of which no frame
            decodes, raises an ``OSError``; one that decodes fewer frames
            than its header announces gives those frames and a
            ``RuntimeWarning``.
        """
        path = str(inputs) if isinstance(inputs, (str, Path)) else None
        if path is not None and path.lower().endswith(VIDEO_EXTENSIONS):
            stream, total, single = read_video_frames(path), None, False
        elif path is not None or isinstance(inputs, (np.ndarray, list, tuple)):
            stream = self._inputs_to_list(inputs)
            total = len(stream)
            is_list = isinstance(inputs, (list, tuple))
            single = not is_list and not osp.isdir(path or '')
        else:
            stream, total, single = iter(inputs), None, False
        failures = InputFailures(max_consecutive_failures, kind='picture')
        results = self._infer(stream, total, None if single else failures,
                              return_datasamples, batch_size, kwargs)
        return results if total is None else list(results)

    def _infer(self, inputs: Iterable[InputType], total: Optional[int],
               failures: Optional[InputFailures], return_datasamples: bool,
               batch_size: int, kwargs: dict) -> Iterator:
        """Results of ``inputs``, chunk by chunk (see :meth:`__call__`).

        A picture that fails is recorded in ``failures`` and skipped; with
        ``failures=None`` (a single picture) its error is raised.
        """
        _, forward_kwargs, visualize_kwargs, postprocess_kwargs = \
            self._dispatch_kwargs(**kwargs)
        drawing_names, count = DrawingNames(), 0
        chunks = self._get_chunk_data(inputs, batch_size)
        for chunk in track(
                chunks,
                'Inference',
                total=None if total is None else ceil(total / batch_size)):
            pictures = self._run_chunk(chunk, failures is not None,
                                       forward_kwargs)
            for input_, picture in zip(chunk, pictures):
                if picture['error'] is None:
                    if failures is not None:
                        failures.succeeded()
                else:
                    name = (f'picture {count} (an array)' if isinstance(
                        input_, np.ndarray) else str(input_))
                    picture['error'] = failures.add(name, picture['error'])
                    print_log(
                        f'Skipped {name}: {picture["error"]}',
                        logger='current',
                        level=logging.WARNING)
                picture['drawing_name'] = drawing_names(input_)
                count += 1
            drawings = self.visualize(chunk, pictures, **visualize_kwargs)
            yield from self.postprocess(pictures, drawings, return_datasamples,
                                        **postprocess_kwargs)
        if failures is not None and failures.failed:
            print_log(
                f'GlamorInferencer: {failures.report(count)}\n(their '
                'results have "error" set)',
                logger='current',
                level=logging.WARNING)

    def _run_chunk(self, chunk: List[InputType], skip_failures: bool,
                   forward_kwargs: dict) -> List[dict]:
        """Prepare each picture of a chunk, then classify the faces of all
        in one model call.

        Returns:
            list[dict]: The pictures (see :meth:`forward`); one that failed
            has ``faces=[]`` and its exception as ``error``, unless
            ``skip_failures`` is False: then the error is raised. If the
            model call fails, each picture is tried alone, so that the
            error is the picture's; running out of memory is raised.
        """
        pictures = []
        for input_ in chunk:
            try:
                pictures.append(self.pipeline(input_))
            except Exception as e:
                if not skip_failures or isinstance(e, NOT_INPUT_ERRORS):
                    raise
                pictures.append(
                    dict(
                        img_path=None
                        if isinstance(input_, np.ndarray) else str(input_),
                        faces=[],
                        error=e))
        prepared = [p for p in pictures if p['error'] is None]
        try:
            self.forward(prepared, **forward_kwargs)
        except Exception as e:
            if (not skip_failures or len(prepared) == 1
                    or isinstance(e, NOT_INPUT_ERRORS)):
                raise
            for picture in prepared:
                try:
                    self.forward([picture], **forward_kwargs)
                except Exception as e:
                    if isinstance(e, NOT_INPUT_ERRORS):
                        raise
                    picture.update(faces=[], error=e)
        return pictures

    @torch.no_grad()
    def forward(self, pictures: List[dict]) -> List[dict]:
        """Classify the faces of all pictures in one model call, the
        context view of each picture encoded once.

        Returns:
            list[dict]: The picture dicts with ``faces`` (list of
            DataSample with ``pred_score``, ``pred_label``, ``attention``,
            ``fusion_weights`` and metainfo ``face_bbox``, ``det_score``).
        """
        with_faces = [
            p for p in pictures
            if p['error'] is None and len(p['inputs']['face'])
        ]
        faces = [face for p in with_faces for face in p['inputs']['face']]
        predictions = []
        if faces and self.face_only:
            data = self.model.data_preprocessor(dict(inputs=faces), False)
            predictions = self.model.predict(data['inputs'])
        elif faces:
            data = self.model.data_preprocessor(
                dict(
                    inputs=dict(
                        face=faces,
                        context=[p['inputs']['context'][0]
                                 for p in with_faces])), False)
            context_index = torch.tensor([
                i for i, p in enumerate(with_faces)
                for _ in p['inputs']['face']
            ])
            predictions = self.model.predict_faces(data['inputs']['face'],
                                                   data['inputs']['context'],
                                                   context_index)
        predictions, classified = iter(predictions), set(map(id, with_faces))
        for picture in pictures:
            picture.pop('inputs', None)
            picture['faces'] = [
                next(predictions) for _ in picture['bboxes']
            ] if id(picture) in classified else []
            for face, box, score in zip(picture['faces'], picture['bboxes'],
                                        picture['det_scores']):
                face.set_metainfo(
                    dict(
                        face_bbox=box,
                        det_score=float(score),
                        img_path=picture['img_path'],
                        ori_shape=picture['ori_shape']))
                if self.model_note:
                    face.set_metainfo(dict(model_note=self.model_note))
        return pictures

    def classify_faces(self,
                       input_: InputType,
                       bboxes: Optional[np.ndarray] = None,
                       det_scores: Optional[np.ndarray] = None) -> list:
        """Detect and classify the faces of one picture (no progress bar).

        For streams (see :class:`VideoFaceRecognizer`): all faces in one
        batch, the context encoded once.

        Args:
            input_ (str | np.ndarray): Image path or BGR uint8 array.
            bboxes (np.ndarray, optional): Classify these faces (K, 4)
                instead of detecting them. Defaults to None.
            det_scores (np.ndarray, optional): Their detection scores.
                Defaults to None.

        Returns:
            list[DataSample]: One prediction per face (see :meth:`forward`).
        """
        return self.forward([self.prepare(input_, bboxes,
                                          det_scores)])[0]['faces']

    def _inputs_to_list(self, inputs: InputType) -> list:
        """Paths, arrays or folders (their images, sorted by name)."""
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
        """Draw boxes, labels and attention tiles into ``show_dir``.

        A drawing is named after its picture's file (see
        :class:`DrawingNames`).

        Returns:
            list[np.ndarray | None] | None: RGB drawings (None for a picture
            that could not be read), or None when neither ``show`` nor
            ``show_dir`` is given.
        """
        if not show and show_dir is None:
            return None
        from glamor_mm.visualization import FaceEmotionVisualizer
        visualizer = FaceEmotionVisualizer.get_instance(
            f'glamor_inferencer_{id(self)}')
        drawings = []
        for input_, picture in zip(ori_inputs, preds):
            if picture['error'] is not None:
                drawings.append(None)
                continue
            image = input_ if isinstance(input_, np.ndarray) else mmcv.imread(
                str(input_))
            out_file = None
            if show_dir is not None:
                out_file = osp.join(show_dir, picture['drawing_name'])
                if not isinstance(input_, np.ndarray) and osp.realpath(
                        out_file) == osp.realpath(str(input_)):
                    raise ValueError(
                        f'show_dir {show_dir!r} holds the input {input_}: '
                        'its drawing would overwrite it; use another folder.')
            drawings.append(
                visualizer.visualize_faces(
                    image[..., ::-1],
                    picture['faces'],
                    classes=self.classes,
                    context=None if picture['context_view'] is None else
                    picture['context_view'][..., ::-1],
                    draw_score=draw_score,
                    draw_attention=draw_attention,
                    show=show,
                    wait_time=wait_time,
                    out_file=out_file,
                    name=picture['drawing_name']))
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
            attention, fusion_weights)], visualization, error)``, ``error``
            being None or why the picture could not be read.
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
                    if visualization is None else visualization[i],
                    error=picture['error']))
        return results

    @staticmethod
    def list_models(pattern: Optional[str] = None) -> List[str]:
        """The models of glamor_mm's model zoo (``model-index.yml``).

        Every config is listed there with its paper, table row and reported
        accuracy; no trained weights are hosted.

        Args:
            pattern (str, optional): A wildcard pattern (``fnmatch``) the
                names must start with, as in ``mmpretrain.list_models``.
                Defaults to None (all).

        Returns:
            list[str]: Model names (config names without ``.py``), sorted.
        """
        index = load_model_index(package_file('model-index.yml'))
        names = sorted(model.name for model in index.models)
        if pattern is None:
            return names
        return fnmatch.filter(names, pattern + '*')
