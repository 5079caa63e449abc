"""Two-layer perceptron that maps each feature vector to one scalar score."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer


class ScoreMLP(nn.Module):
    """FC(hidden) + ReLU -> FC(1), applied to the last dimension.

    Used as the attention scorer of the GLA module (paper eq. 4, Fig. 4) and
    as the fusion-weight scorer of each branch (paper eq. 6). The weights are
    shared over all leading dimensions, so a whole (N, L, C) context map is
    scored with two matrix multiplications.

    Args:
        in_channels (int): Length C of the scored vectors.
        hidden_channels (int): Width of the hidden layer. Defaults to 128.
        norm_cfg (dict, optional): If given (e.g. ``dict(type='BN1d')``), the
            hidden layer becomes FC -> ReLU -> norm -> ReLU, as in the
            authors' TensorFlow GLA module; the norm statistics are taken
            over all leading dimensions. Defaults to None.
    """

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int = 128,
                 norm_cfg: Optional[dict] = None):
        super().__init__()
        self.fc1 = nn.Linear(in_channels, hidden_channels)
        self.norm = (
            build_norm_layer(norm_cfg, hidden_channels)[1]
            if norm_cfg is not None else None)
        self.fc2 = nn.Linear(hidden_channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Score every vector.

        Args:
            x (Tensor): Vectors, shape (*, in_channels).

        Returns:
            Tensor: One raw (unnormalised) score per vector, shape (*).
        """
        hidden = F.relu(self.fc1(x))
        if self.norm is not None:
            flat = self.norm(hidden.reshape(-1, hidden.size(-1)))
            hidden = F.relu(flat.reshape(hidden.shape))
        return self.fc2(hidden).squeeze(-1)

    def zero_output(self) -> None:
        """Zero the last layer: every score becomes 0 until it is trained."""
        nn.init.zeros_(self.fc2.weight)
        nn.init.zeros_(self.fc2.bias)
