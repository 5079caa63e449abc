"""A reconstruction of the PyTorch CAER-Net-S and its data loader, for speed.

Written for ``benchmark_reference_implementations.py`` from the structure
of github.com/ndkhanh360/CAER (it is a reconstruction, not their code, and
is not used to train; ``tools/model_converters/caernet_to_mmpretrain.py``
converts their trained weights to glamor_mm's own model instead):

- ``CAER/model/model.py`` (``CAERSNet``, the version with ``face_bn`` and
  ``context_bn``): two encoders of five 3x3 conv + BN + ReLU layers
  (widths 32, 64, 128, 256, 256, 2x2 max-pooling after all but the last),
  a context attention of two 3x3 conv + BN + ReLU layers (128, 1) with a
  softmax over the locations, average pooling of both maps, BatchNorm1d on
  both vectors, fusion weights from two Linear 128 + ReLU -> Linear 1
  scorers and a softmax, Linear 128 + ReLU, dropout 0.5, Linear 7;
- ``CAER/trainer/trainer.py`` (``_train_epoch``) and ``model/loss.py``:
  ``zero_grad``, forward, ``F.cross_entropy``, ``backward``, ``step`` and
  ``loss.item()`` per batch; the README's optimizer, SGD with learning rate
  0.01, momentum 0.9 and Nesterov;
- ``CAER/data_loader/data_loaders.py`` (``MyDataset``, ``collate_fn``) and
  ``CAER/utils/util.py`` (``get_transform``): a PIL image, the face box
  cropped, the box filled black with ``ImageDraw.rectangle`` for the
  context, torchvision ``Resize`` to 96x96 and 128x171, ``RandomCrop`` 112
  (``CenterCrop`` for testing), ``ToTensor`` and ImageNet ``Normalize``,
  a ``DataLoader`` with batch 32, shuffling and 2 workers whose collate
  function drops failed samples.
"""
from typing import Callable, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image, ImageDraw
from torch.utils.data import DataLoader, Dataset, default_collate
from torchvision import transforms

ENCODER_WIDTHS = (3, 32, 64, 128, 256, 256)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class ReferenceEncoder(nn.Module):
    """conv 3x3 -> BN -> ReLU per layer, 2x2 max-pool after all but the
    last (``pool``)."""

    def __init__(self, widths: Sequence[int], pool: bool = True) -> None:
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv2d(cin, cout, 3, padding=1)
            for cin, cout in zip(widths[:-1], widths[1:]))
        self.bn = nn.ModuleList(nn.BatchNorm2d(c) for c in widths[1:])
        self.pool = pool

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        last = len(self.convs) - 1
        for i, (conv, bn) in enumerate(zip(self.convs, self.bn)):
            x = F.relu(bn(conv(x)))
            if self.pool and i < last:
                x = F.max_pool2d(x, 2)
        return x


class ReferenceCAERNetS(nn.Module):
    """CAER-Net-S as ``CAERSNet``: logits (N, num_classes) of NCHW views.

    Args:
        num_classes (int): Classes. Defaults to 7.
    """

    def __init__(self, num_classes: int = 7) -> None:
        super().__init__()
        self.face_encoder = ReferenceEncoder(ENCODER_WIDTHS)
        self.context_encoder = ReferenceEncoder(ENCODER_WIDTHS)
        self.attention = ReferenceEncoder((256, 128, 1), pool=False)
        self.face_bn = nn.BatchNorm1d(256)
        self.context_bn = nn.BatchNorm1d(256)
        self.face_scorer = nn.Sequential(
            nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 1))
        self.context_scorer = nn.Sequential(
            nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 1))
        self.fc1, self.fc2 = nn.Linear(512, 128), nn.Linear(128, num_classes)
        self.dropout = nn.Dropout()

    def forward(self, face: torch.Tensor,
                context: torch.Tensor) -> torch.Tensor:
        face = self.face_encoder(face)
        context = self.context_encoder(context)
        attention = self.attention(context)
        n, c, h, w = attention.shape
        attention = F.softmax(attention.view(n, -1), dim=-1).view(n, c, h, w)
        context = context * attention
        face = F.avg_pool2d(face, face.shape[2]).view(n, -1)
        context = F.avg_pool2d(context, context.shape[2]).view(n, -1)
        face, context = self.face_bn(face), self.context_bn(context)
        weights = F.softmax(
            torch.cat([self.face_scorer(face),
                       self.context_scorer(context)], -1), -1)
        features = torch.cat(
            [face * weights[:, :1], context * weights[:, 1:]], -1)
        return self.fc2(self.dropout(F.relu(self.fc1(features))))


def normalize(view: torch.Tensor) -> torch.Tensor:
    """A uint8 NCHW RGB view as ``ToTensor`` + ImageNet ``Normalize`` make
    it."""
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (view.float() / 255 - mean) / std


def make_train_step(model: ReferenceCAERNetS) -> Callable:
    """The trainer's step with the README's optimizer.

    Args:
        model (ReferenceCAERNetS): The model, in training mode.

    Returns:
        Callable: ``step(face, context, labels)`` on uint8 NCHW views and
        int64 labels; returns the loss (float).
    """
    optimizer = torch.optim.SGD(
        model.parameters(), lr=1e-2, momentum=0.9, nesterov=True)

    def step(face, context, labels):
        optimizer.zero_grad()
        output = model(normalize(face), normalize(context))
        loss = F.cross_entropy(output, labels)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


class ReferenceCAERSDataset(Dataset):
    """``MyDataset`` with ``get_transform``: samples ``({'face': (3, 96,
    96), 'context': (3, 112, 112)}, label)`` of normalised float tensors.

    Args:
        samples (list[tuple[str, int, tuple]]): ``(image path, label,
            (x1, y1, x2, y2))`` per image, the lines of their detect file.
        train (bool): Random context crop (else centre crop). Defaults to
            True.
    """

    def __init__(self,
                 samples: List[Tuple[str, int, Tuple[int, int, int, int]]],
                 train: bool = True) -> None:
        self.samples = samples
        crop = transforms.RandomCrop if train else transforms.CenterCrop
        self.face_transform = transforms.Compose([
            transforms.Resize((96, 96)),
            self._to_tensor_and_normalize()
        ])
        self.context_transform = transforms.Compose([
            transforms.Resize((128, 171)),
            crop(112),
            self._to_tensor_and_normalize()
        ])

    @staticmethod
    def _to_tensor_and_normalize() -> Callable:
        return transforms.Compose([
            transforms.Lambda(to_rgb),
            transforms.ToTensor(),
            transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)
        ])

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, idx: int) -> Optional[tuple]:
        path, label, box = self.samples[idx]
        image = Image.open(path)
        face = image.crop(box)
        ImageDraw.Draw(image).rectangle(box, fill=(0, 0, 0))
        try:
            data = dict(
                face=self.face_transform(face),
                context=self.context_transform(image))
        except Exception:  # their dataset drops samples that fail
            return None
        return data, label


def to_rgb(image: Image.Image) -> Image.Image:
    """``image.convert('RGB')``, as their ``ToTensorAndNormalize``."""
    return image.convert('RGB')


def collate_dropping_failed(batch: list):
    """Their ``collate_fn``: default collation of the samples that are not
    None."""
    return default_collate([sample for sample in batch if sample is not None])


def make_loader(dataset: ReferenceCAERSDataset, batch_size: int,
                num_workers: int) -> DataLoader:
    """Their ``CAERSDataLoader``'s DataLoader (shuffled), with persistent
    workers so that a benchmark times the steady state."""
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=True,
        num_workers=num_workers,
        collate_fn=collate_dropping_failed,
        persistent_workers=num_workers > 0)
