"""Run an exported two-view classifier with ONNX Runtime."""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmpretrain.structures import DataSample

from .onnx_export import INPUT_NAMES
from .onnx_metadata import load_checked_model
from .optional import import_optional

Views = Union[torch.Tensor, Sequence[torch.Tensor]]


class _StackViews:
    """Stands in for the data preprocessor: the ONNX graph normalises."""

    def __call__(self, data: dict, training: bool = False) -> dict:
        """Stack each view's uint8 tensors into one N×C×H×W array (the
        faces alone for a face-only graph)."""
        views = data['inputs']
        if isinstance(views, dict):
            inputs = {
                view: self._stack(view, images)
                for view, images in views.items()
            }
        else:
            inputs = self._stack('face', views)
        return dict(inputs=inputs, data_samples=data.get('data_samples'))

    @staticmethod
    def _stack(view: str, images: Views) -> np.ndarray:
        if isinstance(images, (list, tuple)):
            images = torch.stack(list(images))
        if images.dtype != torch.uint8:
            raise TypeError(
                'The ONNX Runtime backend takes uint8 views, as '
                'PackTwoViewInputs makes them from LoadImageFromFile; '
                f'the {view} view is {images.dtype} (is '
                'LoadImageFromFile(to_float32=True) in the config?).')
        return np.ascontiguousarray(images.numpy())


class OnnxRuntimeClassifier:
    """A two-view classifier exported by ``tools/deployment/pytorch2onnx.py``.

    It offers the part of ``GlamorClassifier`` that ``GlamorInferencer``
    uses: ``data_preprocessor`` (here it only stacks the uint8 views; the
    graph normalises them) and :meth:`predict_faces`; for a face-only graph
    (:func:`~glamor_mm.deployment.export_face_onnx`) :meth:`predict`, as
    ``ImageClassifier`` has.

    Args:
        onnx_file (str): The exported model.
        num_threads (int): Threads of ONNX Runtime's operators
            (``intra_op_num_threads``). Defaults to 1: more threads than
            free cores slow every call down (see "Threads" in the README).
        device (str): ``'cpu'``, or ``'cuda'`` / ``'cuda:N'`` when
            onnxruntime-gpu is installed. Defaults to 'cpu'.
    """

    def __init__(self,
                 onnx_file: str,
                 num_threads: int = 1,
                 device: str = 'cpu') -> None:
        ort = import_optional('onnxruntime')
        if not osp.isfile(onnx_file):
            raise FileNotFoundError(
                f'OnnxRuntimeClassifier: no ONNX file {onnx_file!r} (export '
                'one with tools/deployment/pytorch2onnx.py).')
        options = ort.SessionOptions()
        options.intra_op_num_threads = num_threads
        options.inter_op_num_threads = 1
        if device.startswith('cuda'):
            index = int(device.partition(':')[2] or 0)
            providers = [('CUDAExecutionProvider', dict(device_id=index))]
            if 'CUDAExecutionProvider' not in ort.get_available_providers():
                raise RuntimeError(
                    f'OnnxRuntimeClassifier: device {device!r} needs '
                    'onnxruntime-gpu (CUDAExecutionProvider).')
        else:
            providers = ['CPUExecutionProvider']
        model, meta = load_checked_model(onnx_file)
        try:
            self.session = ort.InferenceSession(
                model, options, providers=providers)
        except Exception as e:
            raise ValueError(f'OnnxRuntimeClassifier: cannot load '
                             f'{onnx_file!r}: {e}') from e
        # a one-stream model's graph has only the input it uses
        inputs = [i.name for i in self.session.get_inputs()]
        if (not inputs or not set(inputs) <= set(INPUT_NAMES)
                or 'outputs' not in meta):
            raise ValueError(
                f'OnnxRuntimeClassifier: {onnx_file!r} is not a two-view '
                'model (nor a face-only one) exported by '
                'tools/deployment/pytorch2onnx.py '
                f'(inputs {inputs}, metadata keys {sorted(meta)}).')
        self.onnx_file = onnx_file
        self.input_names: List[str] = inputs
        self.output_names: List[str] = meta['outputs']
        # a face-only ImageClassifier's graph has no context shape
        self.view_shapes = {
            view: tuple(meta[f'{view}_shape'])
            for view in INPUT_NAMES if meta.get(f'{view}_shape')
        }
        self.num_classes: int = self.session.get_outputs()[0].shape[1]
        classes = meta['classes']
        self.dataset_meta = dict(
            classes=None if classes is None else tuple(classes))
        if classes is not None:
            self.check_classes(classes)
        self.data_preprocessor = _StackViews()

    def check_classes(self, classes: Sequence[str]) -> None:
        """Refuse class names that do not match the number of scores.

        Args:
            classes (Sequence[str]): Class names, one per score.

        Raises:
            ValueError: If their number is not the model's.
        """
        if len(classes) != self.num_classes:
            raise ValueError(
                f'{self.onnx_file}: the model gives {self.num_classes} '
                f'scores, but {len(classes)} class names were given '
                f'({", ".join(classes)}): the model and the names do not '
                'belong together.')

    def run(self, face: np.ndarray,
            context: Optional[np.ndarray]) -> Dict[str, np.ndarray]:
        """Run the graph.

        Args:
            face (np.ndarray): uint8 BGR faces, shape (K, 3, Hf, Wf).
            context (np.ndarray, optional): uint8 BGR contexts, shape
                (1 or K, 3, Hc, Wc); None for a face-only graph
                (:func:`~glamor_mm.deployment.export_face_onnx`).

        Returns:
            dict[str, np.ndarray]: ``scores`` (K, num_classes) and, if the
            model has them, ``attention`` (K, H, W) and ``fusion_weights``
            (K, 2).
        """
        views = {
            view: array
            for view, array in dict(face=face, context=context).items()
            if view in self.input_names
        }
        for view, array in views.items():
            if tuple(array.shape[1:]) != self.view_shapes[view]:
                raise ValueError(
                    f'{self.onnx_file}: takes {view} views of shape '
                    f'N×{"×".join(map(str, self.view_shapes[view]))}, got '
                    f'{"×".join(map(str, array.shape))}: export it with the '
                    'config whose test pipeline makes these views.')
        outputs = self.session.run(self.output_names, views)
        return dict(zip(self.output_names, outputs))

    def predict(self, faces: np.ndarray) -> List[DataSample]:
        """Classify K faces with a face-only graph, as
        ``ImageClassifier.predict`` does.

        Args:
            faces (np.ndarray): uint8 faces, shape (K, C, H, W).

        Returns:
            list[DataSample]: K predictions with ``pred_score`` and
            ``pred_label``.
        """
        return self.predict_faces(faces, None)

    def predict_faces(
            self,
            faces: np.ndarray,
            contexts: Optional[np.ndarray],
            context_index: Optional[Sequence[int]] = None
    ) -> List[DataSample]:
        """Classify K faces, each context encoded once.

        Args:
            faces (np.ndarray): uint8 faces, shape (K, 3, Hf, Wf).
            contexts (np.ndarray, optional): The uint8 contexts, shape
                (M, 3, Hc, Wc); None for a face-only graph.
            context_index (Sequence[int], optional): The context of each
                face, shape (K,). Defaults to None: M = 1 (shared by all
                faces) or M = K (one each). The graph takes those two
                layouts: when each context has one face the faces go
                through it in one call, else in one call per context.

        Returns:
            list[DataSample]: K predictions with ``pred_score``,
            ``pred_label`` and, where the model has them, ``attention`` and
            ``fusion_weights``, as ``GlamorClassifier.predict_faces`` gives.
        """
        if context_index is None or contexts is None:
            outputs = self.run(faces, contexts)
        else:
            outputs = self._run_grouped(faces, contexts,
                                        np.asarray(context_index))
        predictions = []
        for i, scores in enumerate(outputs['scores']):
            sample = DataSample().set_pred_score(torch.from_numpy(scores))
            sample.set_pred_label(int(scores.argmax()))
            for name in ('attention', 'fusion_weights'):
                if name in outputs:
                    sample.set_field(torch.from_numpy(outputs[name][i]), name)
            predictions.append(sample)
        return predictions

    def _run_grouped(self, faces: np.ndarray, contexts: np.ndarray,
                     index: np.ndarray) -> Dict[str, np.ndarray]:
        """Run faces paired with contexts by ``index`` (see
        :meth:`predict_faces`)."""
        if index.shape != (len(faces), ) or not np.isin(
                index, np.arange(len(contexts))).all():
            raise ValueError(
                f'{self.onnx_file}: context_index must give each of the '
                f'{len(faces)} faces one of the {len(contexts)} contexts, '
                f'got {index.tolist()}.')
        groups = np.unique(index)
        if len(groups) == len(index):
            return self.run(faces, contexts[index])
        order = np.concatenate([np.flatnonzero(index == m) for m in groups])
        runs = [
            self.run(faces[index == m], contexts[m:m + 1]) for m in groups
        ]
        inverse = np.argsort(order)
        return {
            name: np.concatenate([run[name] for run in runs])[inverse]
            for name in runs[0]
        }
