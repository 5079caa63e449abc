"""Two-stream (face + context) classifier: GLAMOR-Net and its baselines."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmpretrain.models.classifiers import BaseClassifier
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

Feats = Tuple[Optional[torch.Tensor], Optional[torch.Tensor],
              Optional[torch.Tensor]]


def _last_map(
        outs: Union[torch.Tensor, Sequence[torch.Tensor]]) -> torch.Tensor:
    """Last feature map of a backbone output (tensor or tuple of stages)."""
    return outs[-1] if isinstance(outs, (tuple, list)) else outs


@MODELS.register_module()
class GlamorClassifier(BaseClassifier):
    """Face encoder + context encoder + two-view neck + fusion head.

    The face and the context stream are separately parameterised backbones:
    :class:`GlamorEncoder` or any MMPretrain backbone (``type='ResNet',
    depth=18``, ``type='MobileNetV2'``...); the last feature map of each is
    used. The neck turns the two maps into v_f, v_c and an attention map;
    the head fuses and classifies.

    A stream that the model does not need is neither built nor run: the
    context backbone when ``head.branches == ('face',)``, the face backbone
    when ``head.branches == ('context',)`` and the neck's context pooling
    does not use the face (GLA does, paper Table 4 ii/iii).

    Args:
        face_backbone (dict): Config of the face encoder.
        context_backbone (dict): Config of the context encoder.
        neck (dict): Config of the two-view neck, e.g.
            ``GlobalLocalAttentionNeck``.
        head (dict): Config of the head, e.g. ``FusionHead``.
        data_preprocessor (dict, optional): Config of the data preprocessor.
            Defaults to ``dict(type='TwoViewDataPreprocessor')`` (no
            normalisation).
        channels_last (bool): Run both backbones (weights and input images)
            in the channels-last memory format (NHWC). The results are the
            same up to float rounding; convolutions on the CPU run faster
            this way (see the README's speed section). Defaults to False.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 face_backbone: dict,
                 context_backbone: dict,
                 neck: dict,
                 head: dict,
                 data_preprocessor: Optional[dict] = None,
                 channels_last: bool = False,
                 init_cfg: Optional[dict] = None):
        data_preprocessor = data_preprocessor or {}
        if isinstance(data_preprocessor, dict):
            data_preprocessor.setdefault('type', 'TwoViewDataPreprocessor')
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(
            init_cfg=init_cfg, data_preprocessor=data_preprocessor)

        self.neck = neck if isinstance(neck, nn.Module) else MODELS.build(neck)
        self.head = head if isinstance(head, nn.Module) else MODELS.build(head)
        branches = tuple(getattr(self.head, 'branches', ('face', 'context')))
        self.uses_context = 'context' in branches
        guides = getattr(self.neck, 'context_needs_face', False)
        self.uses_face = 'face' in branches or (self.uses_context and guides)
        self.face_backbone = self._build_stream(face_backbone, self.uses_face)
        self.context_backbone = self._build_stream(context_backbone,
                                                   self.uses_context)
        self.memory_format = (
            torch.channels_last if channels_last else torch.contiguous_format)
        for backbone in (self.face_backbone, self.context_backbone):
            if backbone is not None:
                backbone.to(memory_format=self.memory_format)

    @staticmethod
    def _build_stream(cfg: Union[dict, nn.Module],
                      used: bool) -> Optional[nn.Module]:
        """Build a backbone config, or return None for an unused stream."""
        if not used:
            return None
        return cfg if isinstance(cfg, nn.Module) else MODELS.build(cfg)

    def forward(self,
                inputs: Dict[str, torch.Tensor],
                data_samples: Optional[List[DataSample]] = None,
                mode: str = 'tensor'):
        """Run the model in one of the MMEngine modes.

        Args:
            inputs (dict[str, Tensor]): ``face`` (N, 3, Hf, Wf) and
                ``context`` (N, 3, Hc, Wc), already normalised.
            data_samples (list[DataSample], optional): Annotations; required
                for ``mode='loss'``.
            mode (str): ``'tensor'`` (class logits, N×num_classes),
                ``'loss'`` (dict of losses) or ``'predict'`` (DataSamples).

        Returns:
            Tensor | dict | list[DataSample]: Depends on ``mode``.
        """
        if mode == 'tensor':
            return self.head(self.extract_feat(inputs))
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise RuntimeError(f'GlamorClassifier: invalid mode "{mode}"; use '
                           "'tensor', 'loss' or 'predict'.")

    def _encode(
        self, face: Optional[torch.Tensor], context: Optional[torch.Tensor]
    ) -> Tuple[Optional[torch.Tensor], Optional[torch.Tensor]]:
        """Run the used streams; the maps of unused streams are None."""
        face_map = context_map = None
        if self.uses_face:
            if face is None:
                raise ValueError('GlamorClassifier: this model needs the '
                                 "'face' input.")
            face_map = _last_map(
                self.face_backbone(
                    face.contiguous(memory_format=self.memory_format)))
        if self.uses_context:
            if context is None:
                raise ValueError('GlamorClassifier: this model needs the '
                                 "'context' input.")
            context_map = _last_map(
                self.context_backbone(
                    context.contiguous(memory_format=self.memory_format)))
        return face_map, context_map

    def extract_feat(self, inputs: Dict[str, torch.Tensor]) -> Feats:
        """Encode both views and reduce them with the neck.

        Args:
            inputs (dict[str, Tensor]): ``face`` (N, 3, Hf, Wf) and
                ``context`` (N, 3, Hc, Wc).

        Returns:
            tuple: v_f (N, Cf), v_c (N, Cc) and the attention map (N, H, W);
            each is None where the model does not compute it.
        """
        if not isinstance(inputs, dict):
            raise TypeError(
                'GlamorClassifier expects inputs as a dict with keys '
                f"'face' and 'context', got {type(inputs).__name__}.")
        return self.neck(
            *self._encode(inputs.get('face'), inputs.get('context')))

    def loss(self, inputs: Dict[str, torch.Tensor],
             data_samples: List[DataSample]) -> dict:
        """Losses of a batch (see :meth:`FusionHead.loss`)."""
        return self.head.loss(self.extract_feat(inputs), data_samples)

    def predict(
            self,
            inputs: Dict[str, torch.Tensor],
            data_samples: Optional[List[DataSample]] = None
    ) -> List[DataSample]:
        """Predict a batch.

        Returns:
            list[DataSample]: With ``pred_score``, ``pred_label``,
            ``attention`` (H×W, if the neck has attention) and
            ``fusion_weights`` ([w_f, w_c], for the fusion network).
        """
        return self._predict_feats(self.extract_feat(inputs), data_samples)

    def _predict_feats(
            self, feats: Feats,
            data_samples: Optional[List[DataSample]]) -> List[DataSample]:
        """Head predictions with the neck's attention maps attached."""
        predictions = self.head.predict(feats, data_samples)
        attn = feats[2]
        if attn is not None:
            for sample, sample_attn in zip(predictions, attn.detach()):
                sample.set_field(sample_attn, 'attention')
        return predictions

    def predict_faces(self, faces: torch.Tensor,
                      context: torch.Tensor) -> List[DataSample]:
        """Classify K faces that share one context image.

        The context backbone runs once; its map is shared by the K faces
        (paper Sec. 3.2.2: "we only need to extract context information
        once"). Results equal K separate full passes in eval mode.

        Args:
            faces (Tensor): Normalised face crops, shape (K, 3, Hf, Wf).
            context (Tensor): The normalised context image (all faces
                masked), shape (1, 3, Hc, Wc).

        Returns:
            list[DataSample]: K predictions, in the order of ``faces``.
        """
        if faces.dim() != 4 or faces.size(0) == 0:
            raise ValueError(
                'GlamorClassifier.predict_faces: `faces` must be K×3×H×W '
                f'with K >= 1, got {tuple(faces.shape)}.')
        if context.dim() != 4 or context.size(0) != 1:
            raise ValueError(
                'GlamorClassifier.predict_faces: `context` must be one image '
                f'of shape 1×3×H×W, got {tuple(context.shape)}.')
        face_map, context_map = self._encode(faces, context)
        if context_map is not None:
            context_map = context_map.expand(faces.size(0), -1, -1, -1)
        return self._predict_feats(self.neck(face_map, context_map), None)
