"""Check a converted state dict against a config and save it for MMEngine."""
import os
import os.path as osp
from collections import OrderedDict
from typing import Dict, Sequence

import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

from .state_dict_check import state_dict_problems


def build_model(config: str) -> torch.nn.Module:
    """The model of a glamor_mm config, with its initial weights."""
    cfg = Config.fromfile(config)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(cfg.model)


def check_state_dict(state_dict: Dict[str, torch.Tensor], config: str,
                     source: str) -> None:
    """Check that ``state_dict`` loads with ``strict=True`` into ``config``.

    Args:
        state_dict (dict[str, Tensor]): The converted tensors.
        config (str): Path of the glamor_mm config the tensors are for.
        source (str): The converted file, named in errors.

    Raises:
        ValueError: Tensors are missing, unexpected, or of the wrong shape
            for the model of ``config``; the message names each of them,
            ``source`` and ``config``.
    """
    model = build_model(config)
    problems = state_dict_problems(model.state_dict(), state_dict)
    if problems:
        raise ValueError(
            f'The tensors converted from {source} do not fit the model of '
            f'{config}: ' + '; '.join(problems) + '.')
    model.load_state_dict(state_dict, strict=True)


def save_converted_checkpoint(state_dict: Dict[str, torch.Tensor],
                              config: str, dst: str, source: str,
                              classes: Sequence[str]) -> None:
    """Check ``state_dict`` against ``config`` and save an MMEngine checkpoint.

    The file holds ``state_dict`` and ``meta`` (``dataset_meta.classes``,
    which ``mmpretrain.apis.init_model`` and the inferencer read, and the
    source file), only plain types and tensors, so it loads with
    ``weights_only=True``. It is written to a temporary file first and then
    renamed, so an interrupted run leaves no partial ``dst``.

    Args:
        state_dict (dict[str, Tensor]): The converted tensors.
        config (str): Path of the glamor_mm config the tensors are for.
        dst (str): Output path.
        source (str): The converted file.
        classes (Sequence[str]): Class names in the model's output order.
    """
    check_state_dict(state_dict, config, source)
    checkpoint = dict(
        meta=dict(
            dataset_meta=dict(classes=list(classes)),
            converted_from=osp.abspath(source),
            config=config),
        state_dict=OrderedDict(
            (k, v.detach().clone().contiguous())
            for k, v in state_dict.items()))
    os.makedirs(osp.dirname(osp.abspath(dst)), exist_ok=True)
    tmp = f'{dst}.tmp'
    torch.save(checkpoint, tmp)
    os.replace(tmp, dst)
