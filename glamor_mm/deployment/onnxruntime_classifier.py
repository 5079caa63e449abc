"""Run an exported two-view classifier with ONNX Runtime."""
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmpretrain.structures import DataSample

from .onnx_export import INPUT_NAMES, import_optional

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
        try:
            self.session = ort.InferenceSession(
                onnx_file, options, providers=providers)
        except Exception as e:
            raise ValueError(f'OnnxRuntimeClassifier: cannot load '
                             f'{onnx_file!r}: {e}') from e
        meta = self.session.get_modelmeta().custom_metadata_map
        inputs = [i.name for i in self.session.get_inputs()]
        expected = (INPUT_NAMES, ('face', ))  # two-view, face-only
        if tuple(inputs) not in expected or 'outputs' not in meta:
            raise ValueError(
                f'OnnxRuntimeClassifier: {onnx_file!r} is not a two-view '
                f'model exported by tools/deployment/pytorch2onnx.py, nor a '
                f'face-only one (inputs {inputs}, metadata keys '
                f'{sorted(meta)}).')
        self.output_names: List[str] = json.loads(meta['outputs'])
        classes = json.loads(meta['classes'])
        self.dataset_meta = dict(
            classes=None if classes is None else tuple(classes))
        self.data_preprocessor = _StackViews()

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
        feeds = dict(face=face)
        if context is not None:
            feeds['context'] = context
        outputs = self.session.run(self.output_names, feeds)
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

    def predict_faces(self, faces: Union[np.ndarray, Sequence],
                      context: Optional[np.ndarray]) -> List[DataSample]:
        """Classify K faces that share one context (one context pass).

        Args:
            faces (np.ndarray): uint8 faces, shape (K, 3, Hf, Wf).
            context (np.ndarray, optional): The uint8 context, shape
                (1, 3, Hc, Wc); None for a face-only graph.

        Returns:
            list[DataSample]: K predictions with ``pred_score``,
            ``pred_label`` and, where the model has them, ``attention`` and
            ``fusion_weights``, as ``GlamorClassifier.predict_faces`` gives.
        """
        outputs = self.run(faces, context)
        predictions = []
        for i, scores in enumerate(outputs['scores']):
            sample = DataSample().set_pred_score(torch.from_numpy(scores))
            sample.set_pred_label(int(scores.argmax()))
            for name in ('attention', 'fusion_weights'):
                if name in outputs:
                    sample.set_field(torch.from_numpy(outputs[name][i]), name)
            predictions.append(sample)
        return predictions

