"""Export a two-view classifier to ONNX."""
import warnings
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn

from .onnx_metadata import save_with_metadata
from .optional import import_optional

INPUT_NAMES = ('face', 'context')
OUTPUT_NAMES = ('scores', 'attention', 'fusion_weights')


class TwoViewOnnxModule(nn.Module):
    """A two-view classifier as one traceable graph, preprocessing included.

    Inputs are the packed views (as ``PackTwoViewInputs`` makes them):
    ``face`` uint8 (K, 3, Hf, Wf) and ``context`` uint8 (M, 3, Hc, Wc), BGR.
    The model's data preprocessor (BGR -> RGB, each view's mean and std)
    runs inside. With M = 1 the context is encoded once and shared by the K
    faces (one picture with K faces); with M = K, face i goes with context i
    (a batch of samples). The graph is ``GlamorClassifier.forward_faces``.

    Outputs: ``scores`` (K, num_classes), the softmax class scores, and
    where the model has them ``attention`` (K, H, W), the neck's attention
    over the context map, and ``fusion_weights`` (K, 2), [w_f, w_c].

    Args:
        model (nn.Module): A ``GlamorClassifier``.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def all_outputs(
        self, face: torch.Tensor, context: torch.Tensor
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor], Optional[torch.Tensor]]:
        """Scores, attention map and fusion weights; None where absent."""
        views = self.model.data_preprocessor(
            dict(inputs=dict(face=face, context=context)))['inputs']
        logits, attention, weights = self.model.forward_faces(
            views['face'], views['context'])
        return logits.softmax(dim=1), attention, weights

    def forward(self, face: torch.Tensor,
                context: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Classify K faces.

        Args:
            face (Tensor): uint8 faces, shape (K, 3, Hf, Wf).
            context (Tensor): uint8 contexts, shape (1 or K, 3, Hc, Wc).

        Returns:
            tuple[Tensor]: The outputs the model has, in the order of
            ``OUTPUT_NAMES`` (see the class docstring).
        """
        return tuple(out for out in self.all_outputs(face, context)
                     if out is not None)


def export_onnx(model: nn.Module,
                out_file: str,
                face_shape: Sequence[int],
                context_shape: Sequence[int],
                classes: Optional[Sequence[str]] = None,
                opset_version: int = 17) -> List[str]:
    """Export a two-view classifier (see :class:`TwoViewOnnxModule`).

    The batch dimensions of both inputs are dynamic. The file's metadata
    holds the view shapes, the output names, the class names and a SHA-256
    of the model (see :mod:`glamor_mm.deployment.onnx_metadata`).

    Args:
        model (nn.Module): A ``GlamorClassifier``; it is put in eval mode
            and on the CPU.
        out_file (str): The ``.onnx`` file to write.
        face_shape (Sequence[int]): (C, H, W) of the face view, as the
            config's test pipeline makes it (see :func:`pipeline_view_shapes`).
        context_shape (Sequence[int]): (C, H, W) of the context view.
        classes (Sequence[str], optional): Class names to store.
            Defaults to None.
        opset_version (int): ONNX opset. Defaults to 17.

    Returns:
        list[str]: The names of the outputs in the file.
    """
    onnx = import_optional('onnx')
    module = TwoViewOnnxModule(model.cpu().eval()).eval()
    gen = torch.Generator().manual_seed(0)
    example = (torch.randint(
        0, 256, (2, *face_shape), dtype=torch.uint8, generator=gen),
               torch.randint(
                   0, 256, (1, *context_shape),
                   dtype=torch.uint8,
                   generator=gen))
    with torch.no_grad():
        present = [out is not None for out in module.all_outputs(*example)]
    output_names = [n for n, p in zip(OUTPUT_NAMES, present) if p]
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # the TorchScript exporter's notices
        torch.onnx.export(
            module,
            example,
            out_file,
            input_names=list(INPUT_NAMES),
            output_names=output_names,
            dynamic_axes=dict(
                face={0: 'faces'},
                context={0: 'contexts'},
                **{name: {
                    0: 'faces'
                }
                   for name in output_names}),
            opset_version=opset_version,
            dynamo=False)
    save_with_metadata(
        onnx.load(out_file),
        dict(
            face_shape=list(face_shape),
            context_shape=list(context_shape),
            outputs=output_names,
            classes=list(classes) if classes else None), out_file)
    return output_names
