"""Export a face-only classifier (an MMPretrain ``ImageClassifier``) to
ONNX."""
import warnings
from typing import Optional, Sequence

import torch
import torch.nn as nn

from .onnx_metadata import save_with_metadata
from .optional import import_optional


class FaceOnnxModule(nn.Module):
    """A face-only classifier as one traceable graph, preprocessing
    included: packed uint8 faces ``face`` (K, C, H, W) -> softmax
    ``scores`` (K, num_classes).

    Args:
        model (nn.Module): An ``ImageClassifier`` with its data
            preprocessor (e.g. the FER2013 mini-Xception).
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, face: torch.Tensor) -> torch.Tensor:
        """Classify K faces.

        Args:
            face (Tensor): uint8 faces, shape (K, C, H, W).

        Returns:
            Tensor: Class scores, shape (K, num_classes).
        """
        inputs = self.model.data_preprocessor(dict(inputs=face))['inputs']
        return self.model(inputs, mode='tensor').softmax(dim=1)


def export_face_onnx(model: nn.Module,
                     out_file: str,
                     face_shape: Sequence[int] = (1, 64, 64),
                     classes: Optional[Sequence[str]] = None,
                     opset_version: int = 17) -> None:
    """Export a face-only classifier (see :class:`FaceOnnxModule`).

    The graph has one input, ``face`` (dynamic batch), and one output,
    ``scores``; the file's metadata holds the face shape, the output names,
    the class names and the SHA-256, as :func:`export_onnx` writes them, so
    :class:`OnnxRuntimeClassifier` runs it with ``context=None``.

    Args:
        model (nn.Module): An ``ImageClassifier``; it is put in eval mode
            and on the CPU.
        out_file (str): The ``.onnx`` file to write.
        face_shape (Sequence[int]): (C, H, W) of the packed face.
            Defaults to (1, 64, 64).
        classes (Sequence[str], optional): Class names to store.
            Defaults to None.
        opset_version (int): ONNX opset. Defaults to 17.
    """
    module = FaceOnnxModule(model.cpu().eval()).eval()
    example = torch.randint(0, 256, (2, *face_shape), dtype=torch.uint8)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # the TorchScript exporter's notices
        torch.onnx.export(
            module, (example, ),
            out_file,
            input_names=['face'],
            output_names=['scores'],
            dynamic_axes=dict(face={0: 'faces'}, scores={0: 'faces'}),
            opset_version=opset_version,
            dynamo=False)
    onnx = import_optional('onnx')
    save_with_metadata(
        onnx.load(out_file),
        dict(
            face_shape=list(face_shape),
            outputs=['scores'],
            classes=list(classes) if classes else None), out_file)
