"""Reading checkpoint files and URLs through
:func:`~glamor_mm.checkpoint.safe_unpickle.safe_torch_load`.

:func:`load_checkpoint_file` is what glamor_mm reads every checkpoint with:
``GlamorRunner.load_checkpoint`` (``load_from``, ``resume``), the
``StrictPretrained`` init and the checked loaders of the tools and APIs.
MMEngine's own ``CheckpointLoader`` is left as it is. Downloads are cached
per URL (:func:`http_cache_path`), so trust given to one URL never covers a
file from another.
"""
import hashlib
import os
import os.path as osp
from typing import Any, Optional
from urllib.parse import urlparse

import torch
from mmengine.dist import get_dist_info
from mmengine.runner import CheckpointLoader

from .safe_unpickle import safe_torch_load


def load_from_local(filename: str, map_location: Optional[Any] = None) -> Any:
    """MMEngine checkpoint loader for local files (scheme prefix '').

    Args:
        filename (str): Local checkpoint path.
        map_location (Any, optional): Same as :func:`torch.load`.

    Returns:
        Any: The loaded checkpoint.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return safe_torch_load(filename, map_location)


def http_cache_path(url: str, model_dir: Optional[str] = None) -> str:
    """Where :func:`load_from_http` keeps the download of ``url``.

    The file keeps its name inside a folder named after the SHA-256 of the
    whole URL, so two URLs that end in the same file name never share a
    cached file (nor the trust given to one of them).

    Args:
        url (str): The checkpoint URL.
        model_dir (str, optional): Download folder. Defaults to torch hub's
            ``checkpoints`` folder.

    Returns:
        str: The cache path.
    """
    model_dir = model_dir or osp.join(torch.hub.get_dir(), 'checkpoints')
    name = osp.basename(urlparse(url).path) or 'checkpoint.pth'
    digest = hashlib.sha256(url.encode('utf-8')).hexdigest()[:16]
    return osp.join(model_dir, digest, name)


def load_from_http(
    filename: str,
    map_location: Optional[Any] = None,
    model_dir: Optional[str] = None,
    progress: bool = os.isatty(0)) -> Any:
    """MMEngine checkpoint loader for http(s) URLs.

    Downloads into :func:`http_cache_path` unless the file is there, then
    loads it like :func:`load_from_local`. As in MMEngine, rank 0 downloads
    first; after a barrier every other rank downloads too if it does not
    see the file (nodes without a shared file system). Like MMEngine, it
    does not check a hash in the file name.

    Args:
        filename (str): URL of the checkpoint.
        map_location (Any, optional): Same as :func:`torch.load`.
        model_dir (str, optional): Download folder. Defaults to None.
        progress (bool): Show a progress bar. Defaults to whether stdin is
            a terminal, as in MMEngine.

    Returns:
        Any: The loaded checkpoint.
    """
    cached = http_cache_path(filename, model_dir)

    def download() -> None:
        if not osp.exists(cached):
            os.makedirs(osp.dirname(cached), exist_ok=True)
            # writes a temporary file, then renames it
            torch.hub.download_url_to_file(
                filename, cached, None, progress=progress)

    rank, world_size = get_dist_info()
    if rank == 0:
        download()
    if world_size > 1:
        torch.distributed.barrier()
        if rank > 0:
            download()
    return safe_torch_load(cached, map_location, trust_key=filename)


def load_checkpoint_file(filename: str,
                         map_location: Optional[Any] = None) -> Any:
    """Read a checkpoint with glamor_mm's checks.

    Local files and http(s) URLs go through :func:`load_from_local` and
    :func:`load_from_http` (integrity, restricted unpickling, a dict); the
    other schemes of MMEngine (``open-mmlab://``, ``torchvision://``,
    ``s3://``, ...) through MMEngine's ``CheckpointLoader``, whose
    ``torch.load`` is ``weights_only`` under torch >= 2.6.

    Args:
        filename (str): Checkpoint file or URL.
        map_location (Any, optional): Same as :func:`torch.load`.
            Defaults to None.

    Returns:
        Any: The loaded checkpoint.
    """
    if filename.startswith(('http://', 'https://')):
        return load_from_http(filename, map_location)
    if '://' not in filename:
        return load_from_local(filename, map_location)
    return CheckpointLoader.load_checkpoint(filename, map_location)
