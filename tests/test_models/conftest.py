"""Shared helpers of the model tests.

Model tests run single-threaded: on a small shared CI machine, intra-op
threads oversubscribe the cores and make CPU convolutions (MobileNetV2's
depthwise ones especially) many times slower.
"""
import pytest
import torch
from mmpretrain.structures import DataSample

torch.set_num_threads(1)


def packed_two_view_samples(n, face_size, context_size, seed=0):
    """``n`` samples as ``PackTwoViewInputs`` yields them: uint8 CHW views
    (face ``face_size``, context ``context_size``, each (H, W)) and a
    DataSample with gt_label k for sample k."""
    gen = torch.Generator().manual_seed(seed)

    def image(size):
        return torch.randint(
            0, 256, (3, *size), generator=gen, dtype=torch.uint8)

    return [
        dict(
            inputs=dict(face=image(face_size), context=image(context_size)),
            data_samples=DataSample().set_gt_label(k)) for k in range(n)
    ]


@pytest.fixture
def make_packed_samples():
    """The :func:`packed_two_view_samples` factory."""
    return packed_two_view_samples
