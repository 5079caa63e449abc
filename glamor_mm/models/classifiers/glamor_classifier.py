"""Two-stream (face + context) classifier: GLAMOR-Net and its baselines."""
from typing import (Dict, List, NamedTuple, Optional, Sequence, Tuple,
                    Union)

import torch
import torch.nn as nn
from mmpretrain.models.classifiers import BaseClassifier
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ..utils import import_mmaction_models

Feats = Tuple[Optional[torch.Tensor], Optional[torch.Tensor],
              Optional[torch.Tensor]]


class FaceOutputs(NamedTuple):
    """What :meth:`GlamorClassifier.forward_faces` gives for K faces."""

    logits: torch.Tensor
    """Class logits, shape (K, num_classes)."""
    attention: Optional[torch.Tensor]
    """The neck's attention over the context map, (K, H, W) or
    (K, T', H', W'); None for a neck without attention."""
    fusion_weights: Optional[torch.Tensor]
    """[w_f, w_c], shape (K, 2); None unless ``fusion='net'``."""


def _last_map(
        outs: Union[torch.Tensor, Sequence[torch.Tensor]]) -> torch.Tensor:
    """Last feature map of a backbone output (tensor or tuple of stages)."""
    return outs[-1] if isinstance(outs, (tuple, list)) else outs


def _memory_format(dim: int, channels_last: bool) -> torch.memory_format:
    """Channels-last format of 4-D (NHWC) or 5-D (NTHWC) tensors."""
    if not channels_last:
        return torch.contiguous_format
    return torch.channels_last if dim == 4 else torch.channels_last_3d


def _flatten_clips(
    inputs: Dict[str, torch.Tensor],
    data_samples: Optional[List[DataSample]] = None,
    need_counts: bool = False
) -> Tuple[Dict[str, torch.Tensor], Optional[List[int]]]:
    """Turn clip views into one batch of clips and count each video's clips.

    Views of shape (N, K, C, T, H, W) become (N*K, C, T, H, W), K clips per
    video. Views of shape (M, C, T, H, W) are already the clips of the batch
    (videos with different numbers of clips, concatenated by the data
    preprocessor); the counts then come from the ``num_clips`` metainfo of
    the data samples, and are None without data samples unless
    ``need_counts`` (then it is an error).

    Returns:
        tuple: The inputs with clips as a batch (image views unchanged) and
        the number of clips of each video, or None for images.
    """
    dims = {
        view.dim()
        for view in inputs.values() if isinstance(view, torch.Tensor)
    }
    if dims <= {4}:
        return inputs, None
    sizes = {
        tuple(view.shape[:2]) if view.dim() == 6 else (view.size(0), )
        for view in inputs.values() if isinstance(view, torch.Tensor)
    }
    if len(dims) > 1 or len(sizes) > 1 or not dims <= {5, 6}:
        shapes = {k: tuple(v.shape) for k, v in inputs.items()}
        raise ValueError(
            'GlamorClassifier: the face and the context view must both be '
            'clips (N×K×3×T×H×W, or M×3×T×H×W clips) with the same numbers '
            f'of videos and clips, got {shapes}.')
    size = sizes.pop()
    if len(size) == 2:
        flat = {key: view.flatten(0, 1) for key, view in inputs.items()}
        return flat, [size[1]] * size[0]
    if data_samples is None and not need_counts:
        return inputs, None
    counts = [
        sample.metainfo.get('num_clips') for sample in data_samples or []
    ]
    if not counts or None in counts or sum(counts) != size[0]:
        raise ValueError(
            f'GlamorClassifier: a batch of {size[0]} clips needs the '
            '`num_clips` of each video in its data sample\'s metainfo to '
            f'group them; got {counts}.')
    return inputs, counts


def average_clips(
        clips: List[DataSample],
        num_clips: Sequence[int],
        data_samples: Optional[List[DataSample]] = None) -> List[DataSample]:
    """Average the clip predictions of each video (CAER-Net Sec. 5.1).

    Args:
        clips (list[DataSample]): Predictions of all clips, video by video,
            each with ``pred_score`` (the scores to average) and optionally
            ``attention`` and ``fusion_weights``.
        num_clips (Sequence[int]): Number of clips of each video.
        data_samples (list[DataSample], optional): The videos' samples to
            fill in; new ones if None.

    Returns:
        list[DataSample]: One per video: ``pred_score`` is the mean of its
        clips' scores, ``pred_label`` its arg-max, ``clip_scores`` the
        K×num_classes clip scores, and ``attention`` / ``fusion_weights`` are
        stacked over the clips where the clips have them.
    """
    if sum(num_clips) != len(clips) or min(num_clips, default=1) < 1:
        raise ValueError(f'average_clips: {len(clips)} clip predictions for '
                         f'videos of {list(num_clips)} clips.')
    if data_samples is None:
        data_samples = [DataSample() for _ in num_clips]
    if len(data_samples) != len(num_clips):
        raise ValueError(f'average_clips: {len(data_samples)} data samples '
                         f'for {len(num_clips)} videos.')
    start = 0
    for video, count in zip(data_samples, num_clips):
        group = clips[start:start + count]
        start += count
        clip_scores = torch.stack([clip.pred_score for clip in group])
        score = clip_scores.mean(dim=0)
        video.set_pred_score(score).set_pred_label(score.argmax(dim=0))
        video.set_field(clip_scores, 'clip_scores')
        for key in ('attention', 'fusion_weights'):
            if key in group[0]:
                video.set_field(
                    torch.stack([clip.get(key) for clip in group]), key)
    return data_samples


@MODELS.register_module()
class GlamorClassifier(BaseClassifier):
    """Face encoder + context encoder + two-view neck + fusion head.

    The face and the context stream are separately parameterised backbones:
    :class:`GlamorEncoder` or any MMPretrain backbone (``type='ResNet',
    depth=18``, ``type='MobileNetV2'``...); the last feature map of each is
    used. The neck turns the two maps into v_f, v_c and an attention map;
    the head fuses and classifies.

    Clips: with views of shape (N, K, 3, T, H, W) (K clips of T frames per
    video, from the video pipeline) and 3D encoders (:class:`GlamorEncoder`
    with ``Conv3d``, or MMAction2 backbones as ``type='mmaction.C3D'``,
    ``'mmaction.ResNet3d'``...) the N*K clips are encoded, attended and
    classified one by one. Training uses each clip with its video's label
    (the paper samples one clip per video, K = 1). ``predict`` averages the
    scores of a video's K clips into its ``pred_score`` as MMAction2's
    ``average_clips`` says: the softmax scores (``'prob'``, CAER-Net Sec.
    5.1, the default) or the logits (``'score'``); it keeps the averaged
    clip scores as ``clip_scores`` (K×num_classes). ``mode='tensor'``
    returns the N*K clips' logits.

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
            in the channels-last memory format: NHWC for 2D backbones,
            NTHWC (``torch.channels_last_3d``) for the 3D backbones of clip
            models. The results are the same up to float rounding;
            convolutions on the CPU run faster this way (see the README's
            speed section). Defaults to False.
        average_clips (str): What ``predict`` averages over the clips of a
            video, as MMAction2's heads: ``'prob'`` (softmax scores) or
            ``'score'`` (logits). Defaults to 'prob'.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 face_backbone: dict,
                 context_backbone: dict,
                 neck: dict,
                 head: dict,
                 data_preprocessor: Optional[dict] = None,
                 channels_last: bool = False,
                 average_clips: str = 'prob',
                 init_cfg: Optional[dict] = None):
        if average_clips not in ('prob', 'score'):
            raise ValueError('GlamorClassifier: average_clips must be '
                             f"'prob' or 'score', got {average_clips!r}.")
        data_preprocessor = data_preprocessor or {}
        if isinstance(data_preprocessor, dict):
            data_preprocessor.setdefault('type', 'TwoViewDataPreprocessor')
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(
            init_cfg=init_cfg, data_preprocessor=data_preprocessor)
        self.average_clips = average_clips

        self.neck = neck if isinstance(neck, nn.Module) else MODELS.build(neck)
        self.head = head if isinstance(head, nn.Module) else MODELS.build(head)
        branches = tuple(getattr(self.head, 'branches', ('face', 'context')))
        self.uses_context = 'context' in branches
        guides = getattr(self.neck, 'context_needs_face', False)
        self.uses_face = 'face' in branches or (self.uses_context and guides)
        self.face_backbone = self._build_stream(face_backbone, self.uses_face)
        self.context_backbone = self._build_stream(context_backbone,
                                                   self.uses_context)
        self.channels_last = channels_last
        for backbone in (self.face_backbone, self.context_backbone):
            if backbone is not None and channels_last:
                dims = {p.dim() for p in backbone.parameters()} & {4, 5}
                if len(dims) > 1:
                    raise ValueError(
                        'GlamorClassifier: channels_last=True needs a '
                        'backbone of 2D or of 3D convolutions, not both '
                        f'({type(backbone).__name__}).')
                for dim in dims:
                    backbone.to(memory_format=_memory_format(dim, True))

    @staticmethod
    def _build_stream(cfg: Union[dict, nn.Module],
                      used: bool) -> Optional[nn.Module]:
        """Build a backbone config, or return None for an unused stream."""
        if not used:
            return None
        if isinstance(cfg, nn.Module):
            return cfg
        if str(cfg.get('type', '')).startswith('mmaction.'):
            import_mmaction_models(cfg['type'])
        return MODELS.build(cfg)

    def forward(self,
                inputs: Dict[str, torch.Tensor],
                data_samples: Optional[List[DataSample]] = None,
                mode: str = 'tensor'):
        """Run the model in one of the MMEngine modes.

        Args:
            inputs (dict[str, Tensor]): ``face`` (N, 3, Hf, Wf) and
                ``context`` (N, 3, Hc, Wc), or clips (N, K, 3, T, H, W),
                already normalised.
            data_samples (list[DataSample], optional): Annotations, one per
                image or video; required for ``mode='loss'``.
            mode (str): ``'tensor'`` (class logits, N×num_classes, or
                N*K×num_classes for clips),
                ``'loss'`` (dict of losses) or ``'predict'`` (DataSamples).

        Returns:
            Tensor | dict | list[DataSample]: Depends on ``mode``.
        """
        if mode == 'tensor':
            return self.forward_faces(*self._views(inputs)[0]).logits
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise RuntimeError(f'GlamorClassifier: invalid mode "{mode}"; use '
                           "'tensor', 'loss' or 'predict'.")

    def forward_faces(
            self,
            faces: Optional[torch.Tensor],
            contexts: Optional[torch.Tensor],
            context_index: Optional[torch.Tensor] = None) -> FaceOutputs:
        """Classify K faces, each with one of M context views.

        The one forward pass of the model: ``mode='tensor'``,
        :meth:`predict`, :meth:`predict_faces` (and so the inferencer) and
        the ONNX export all run it. Each context view is encoded once,
        however many faces share it (paper Sec. 3.2.2: "we only need to
        extract context information once"); its map is then paired with
        its faces. Results equal K separate passes in eval mode.

        Args:
            faces (Tensor, optional): Normalised faces, (K, 3, Hf, Wf), or
                clips (K, 3, T, Hf, Wf). None only for a model that does
                not use the face (a context-only head and neck).
            contexts (Tensor, optional): Normalised context views,
                (M, 3, Hc, Wc) or clips (M, 3, T, Hc, Wc). None only for a
                face-only model.
            context_index (Tensor, optional): The context of each face,
                indices into ``contexts``, shape (K,). Defaults to None:
                M = 1 (all faces share the context) or M = K (face i goes
                with context i).

        Returns:
            FaceOutputs: ``logits`` (K, num_classes), ``attention``
            (K, H, W), or (K, T', H', W') for clips, and ``fusion_weights``
            (K, 2) as [w_f, w_c]; the last two are None where the neck or
            the head does not make them.
        """
        v_f, v_c, attention = self.neck(
            *self._encode(faces, contexts, context_index))
        logits, weights = self.head.forward_with_weights((v_f, v_c,
                                                          attention))
        return FaceOutputs(logits, attention, weights)

    def _encode(
        self,
        faces: Optional[torch.Tensor],
        contexts: Optional[torch.Tensor],
        context_index: Optional[torch.Tensor] = None
    ) -> Tuple[Optional[torch.Tensor], Optional[torch.Tensor]]:
        """Run the used streams, each context once, and pair each face
        with its context map; the maps of unused streams are None."""
        face_map = context_map = None
        if self.uses_face:
            if faces is None:
                raise ValueError('GlamorClassifier: this model needs the '
                                 "'face' input.")
            face_map = _last_map(self.face_backbone(self._to_format(faces)))
        if self.uses_context:
            if contexts is None:
                raise ValueError('GlamorClassifier: this model needs the '
                                 "'context' input.")
            context_map = _last_map(
                self.context_backbone(self._to_format(contexts)))
            if faces is not None:
                context_map = self._pair(context_map, faces.size(0),
                                         context_index)
        return face_map, context_map

    @staticmethod
    def _pair(context_map: torch.Tensor, num_faces: int,
              context_index: Optional[torch.Tensor]) -> torch.Tensor:
        """The context map of each of ``num_faces`` faces (see
        :meth:`forward_faces`)."""
        num_contexts = context_map.size(0)
        if context_index is not None:
            if (context_index.shape != (num_faces, ) or num_faces and
                    not 0 <= int(context_index.min()) <= int(
                        context_index.max()) < num_contexts):
                raise ValueError(
                    f'GlamorClassifier: context_index must give each of the '
                    f'{num_faces} faces one of the {num_contexts} contexts, '
                    f'got {context_index.tolist()}.')
            return context_map[context_index.to(context_map.device)]
        if num_contexts not in (1, num_faces):
            raise ValueError(
                f'GlamorClassifier: {num_faces} faces need 1 context (shared) '
                f'or {num_faces} (one each), got {num_contexts}; pass '
                '`context_index` to pair them otherwise.')
        return context_map.expand(num_faces,
                                  *[-1] * (context_map.dim() - 1))

    def _to_format(self, x: torch.Tensor) -> torch.Tensor:
        """An image (4-D) or clip (5-D) batch in the backbones' format."""
        return x.contiguous(
            memory_format=_memory_format(x.dim(), self.channels_last))

    def extract_feat(self, inputs: Dict[str, torch.Tensor]) -> Feats:
        """Encode both views and reduce them with the neck (the neck output
        of :meth:`forward_faces`).

        Args:
            inputs (dict[str, Tensor]): ``face`` (N, 3, Hf, Wf) and
                ``context`` (N, 3, Hc, Wc); or clips, (N, K, 3, T, Hf, Wf)
                and (N, K, 3, T, Hc, Wc), whose N*K clips are encoded one by
                one.

        Returns:
            tuple: v_f (M, Cf), v_c (M, Cc) and the attention map (M, H, W),
            or (M, T', H', W') for clips, with M = N images or N*K clips;
            each is None where the model does not compute it.
        """
        return self.neck(*self._encode(*self._views(inputs)[0]))

    @staticmethod
    def _views(
        inputs: Dict[str, torch.Tensor],
        data_samples: Optional[List[DataSample]] = None,
        need_counts: bool = False
    ) -> Tuple[Tuple[Optional[torch.Tensor], Optional[torch.Tensor]],
               Optional[List[int]]]:
        """The face and context inputs (clips as one batch) and the number
        of clips of each video (None for images)."""
        if not isinstance(inputs, dict):
            raise TypeError(
                'GlamorClassifier expects inputs as a dict with keys '
                f"'face' and 'context', got {type(inputs).__name__}.")
        inputs, num_clips = _flatten_clips(inputs, data_samples, need_counts)
        return (inputs.get('face'), inputs.get('context')), num_clips

    def loss(self, inputs: Dict[str, torch.Tensor],
             data_samples: List[DataSample]) -> dict:
        """Losses of a batch (see :meth:`FusionHead.loss`); every clip of a
        video is a sample with the video's label."""
        views, num_clips = self._views(inputs, data_samples, True)
        if num_clips is not None:
            data_samples = [
                sample for sample, count in zip(data_samples, num_clips)
                for _ in range(count)
            ]
        return self.head.loss(self.neck(*self._encode(*views)), data_samples)

    def predict(
            self,
            inputs: Dict[str, torch.Tensor],
            data_samples: Optional[List[DataSample]] = None
    ) -> List[DataSample]:
        """Predict a batch of images or videos.

        Returns:
            list[DataSample]: One per image or video, with ``pred_score``,
            ``pred_label``, ``attention`` (H×W, if the neck has attention)
            and ``fusion_weights`` ([w_f, w_c], for the fusion network). For
            a video of K clips: ``pred_score`` is the mean of the clips'
            softmax scores, ``clip_scores`` (K×num_classes) holds those
            scores, and ``attention`` (K×T'×H'×W') and ``fusion_weights``
            (K×2) are per clip.
        """
        views, num_clips = self._views(inputs, data_samples, True)
        outputs = self.forward_faces(*views)
        if num_clips is None:
            return self._predictions(outputs, data_samples)
        clips = self._predictions(outputs, None)
        if self.average_clips == 'score':
            for clip, logits in zip(clips, outputs.logits.detach()):
                clip.set_pred_score(logits)
        return average_clips(clips, num_clips, data_samples)

    def _predictions(
            self, outputs: FaceOutputs,
            data_samples: Optional[List[DataSample]]) -> List[DataSample]:
        """DataSamples of :meth:`forward_faces` outputs: the head's softmax
        scores and labels, with the attention maps and fusion weights."""
        predictions = self.head._get_predictions(outputs.logits, data_samples)
        for name in ('attention', 'fusion_weights'):
            values = getattr(outputs, name)
            if values is not None:
                for sample, value in zip(predictions, values.detach()):
                    sample.set_field(value, name)
        return predictions

    def predict_faces(
            self,
            faces: torch.Tensor,
            contexts: torch.Tensor,
            context_index: Optional[torch.Tensor] = None) -> List[DataSample]:
        """Classify K faces of one or more pictures, each context encoded
        once (see :meth:`forward_faces`).

        Args:
            faces (Tensor): Normalised face crops, shape (K, 3, Hf, Wf).
            contexts (Tensor): The normalised context images (all faces
                masked), shape (M, 3, Hc, Wc).
            context_index (Tensor, optional): The context of each face,
                shape (K,). Defaults to None: one context shared by all
                faces (M = 1), or one per face (M = K).

        Returns:
            list[DataSample]: K predictions, in the order of ``faces``, as
            :meth:`predict` makes them.
        """
        if faces.dim() != 4 or faces.size(0) == 0:
            raise ValueError(
                'GlamorClassifier.predict_faces: `faces` must be K×3×H×W '
                f'with K >= 1, got {tuple(faces.shape)}.')
        if contexts.dim() != 4:
            raise ValueError(
                'GlamorClassifier.predict_faces: `contexts` must be M×3×H×W, '
                f'got {tuple(contexts.shape)}.')
        return self._predictions(
            self.forward_faces(faces, contexts, context_index), None)
