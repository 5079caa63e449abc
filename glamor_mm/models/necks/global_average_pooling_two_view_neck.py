"""Plain global average pooling of both streams (no attention)."""
from typing import Optional, Tuple

import torch
from mmpretrain.registry import MODELS

from .base_two_view_neck import BaseTwoViewNeck, global_mean


@MODELS.register_module()
class GlobalAveragePoolingTwoViewNeck(BaseTwoViewNeck):
    """Global average of the face map and of the context map.

    The "w/o attention" baseline of paper Table 4 (and of CAER-Net Table 3
    without context attention). Averages image maps over H×W and clip maps
    over T×H×W; vectors (N, C) pass through. Has no parameters.

    Args:
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self, init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)

    def pool_context(self, v_f: Optional[torch.Tensor],
                     context_feat: torch.Tensor) -> Tuple[torch.Tensor, None]:
        """Return the mean of the context map over its locations, (N, Cc)."""
        return global_mean(context_feat), None
