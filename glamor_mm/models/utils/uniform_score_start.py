"""Start score MLPs at zero after ``init_weights`` (a uniform softmax)."""
from typing import List

from .pretrained_init import loads_pretrained
from .score_mlp import ScoreMLP


class UniformScoreStartMixin:
    """``init_weights`` that zeroes the last layer of some score MLPs.

    For an MMEngine ``BaseModule`` whose scores go through a softmax (the
    GLA attention, the fusion weights): with ``self.uniform_init`` the
    scores all start at 0, so the softmax starts uniform. Scorers that
    ``init_cfg=dict(type='StrictPretrained')`` loads, or that were already
    initialised (``is_init``), are left as they are. Put the mixin before
    the ``BaseModule`` class in the bases and define
    :meth:`uniform_start_scorers`.
    """

    uniform_init: bool

    def uniform_start_scorers(self) -> List[ScoreMLP]:
        """The scorers to zero with ``uniform_init``."""
        raise NotImplementedError

    def init_weights(self) -> None:
        """Initialise by ``init_cfg``, then zero the last layer of every
        :meth:`uniform_start_scorers` if ``uniform_init`` (not when
        ``init_cfg`` loads a checkpoint, nor a second time)."""
        start_uniform = self.uniform_init and not self.is_init and \
            not loads_pretrained(self.init_cfg)
        super().init_weights()
        if start_uniform:
            for scorer in self.uniform_start_scorers():
                scorer.zero_output()
