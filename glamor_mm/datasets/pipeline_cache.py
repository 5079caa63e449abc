"""A memory-mapped cache of the deterministic start of a two-view pipeline.

Decoding a 712x400 PNG costs about 11 ms, the rest of the training pipeline
about 5 ms. Everything before the first random step -- decode, face crop,
face masking and the context resize -- gives the same arrays in every epoch,
so :class:`TwoViewPipelineCache` stores its output once per image in
memory-mapped ``.npy`` files and the random steps run on those arrays.
"""
import hashlib
import json
import os
import os.path as osp
import shutil
import tempfile
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmcv.transforms import Compose

# Transforms without randomness whose output depends only on the sample's
# annotation and image file; the leading run of them in a pipeline is cached.
CACHEABLE_TRANSFORMS = ('LoadImageFromFile', 'CropFace', 'MaskFace',
                        'Resize')
# The two views; every other key the cached transforms add is stored as JSON.
VIEW_KEYS = ('img', 'face_img')
FORMAT_VERSION = 1
STAMP_BYTES = 16
META_BYTES = 1024


def split_cacheable(
        transforms: Sequence[Callable]) -> Tuple[List[Callable], List[Callable]]:
    """Split a pipeline into its cacheable start and the rest.

    Args:
        transforms (Sequence[Callable]): Built transforms, in order.

    Returns:
        tuple[list, list]: The leading transforms whose class is in
        ``CACHEABLE_TRANSFORMS``, and the remaining ones.
    """
    count = 0
    while (count < len(transforms)
           and type(transforms[count]).__name__ in CACHEABLE_TRANSFORMS):
        count += 1
    return list(transforms[:count]), list(transforms[count:])


def _encode(value):
    """Make tuples and arrays JSON-serialisable with their type kept."""
    if isinstance(value, tuple):
        return {'__tuple__': [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, np.ndarray):
        return {'__ndarray__': value.tolist(), 'dtype': str(value.dtype)}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    return value


def _decode(value):
    """Inverse of :func:`_encode`."""
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        if '__tuple__' in value:
            return tuple(_decode(v) for v in value['__tuple__'])
        if '__ndarray__' in value:
            return np.array(value['__ndarray__'], dtype=value['dtype'])
        return {k: _decode(v) for k, v in value.items()}
    return value


def _damaged(path: str, problem: str) -> ValueError:
    """The error for a cache file that cannot be read."""
    return ValueError(
        f'TwoViewPipelineCache: {path} is damaged: {problem} (an interrupted '
        f'copy of the cache folder?). Delete {osp.dirname(path)}; it is '
        'rebuilt on the next run.')


class TwoViewPipelineCache:
    """Cache of the deterministic pipeline start, one row per sample.

    The cache is a folder ``<cache_dir>/<key>`` with one ``.npy`` file per
    view (``img``: the context view, ``face_img``: the face view; shape
    ``(N, H, W, C)``), the other keys the cached transforms add or change
    (``ori_shape``, ``img_shape``, the clipped ``face_bbox``,
    ``scale_factor``, ...) as JSON, and a stamp per row. Invalidation:

    - ``key`` hashes the cached transforms (their class and ``repr``, i.e.
      every setting) and the list of image paths, so a changed pipeline
      setting or data list uses a new folder;
    - the stamp of a row hashes the sample's annotation (path, face box,
      label) and the image file's size and modification time; a row whose
      stamp differs from the current one is recomputed and rewritten.

    Rows are filled lazily by whichever process (e.g. DataLoader worker)
    first needs them, or all at once (with a progress bar) by
    ``tools/misc/build_pipeline_cache.py``.
    Every process maps the files itself (nothing large is pickled), and a
    read returns copies, so the random transforms that follow can never
    change the cache.

    Args:
        cache_dir (str): Parent folder of the cache.
        transforms (Sequence[Callable]): The cached transforms. Their output
            must have a fixed size (e.g. end with ``Resize`` to a fixed
            scale).
        img_paths (Sequence[str]): Image path of every sample, in dataset
            order.
        first_sample (dict): Data info of sample 0, run once to learn the
            array shapes when the cache is created.
    """

    def __init__(self, cache_dir: str, transforms: Sequence[Callable],
                 img_paths: Sequence[str], first_sample: dict) -> None:
        if not transforms:
            raise ValueError(
                'TwoViewPipelineCache: the pipeline does not start with a '
                f'cacheable transform ({", ".join(CACHEABLE_TRANSFORMS)}).')
        self.transforms = Compose(transforms)
        key = hashlib.sha1(
            json.dumps([
                FORMAT_VERSION,
                [f'{type(t).__module__}.{t!r}' for t in transforms],
                list(img_paths)
            ]).encode()).hexdigest()[:16]
        self.root = osp.join(cache_dir, key)
        self.num_samples = len(img_paths)
        self._arrays: Optional[Dict[str, np.ndarray]] = None
        self._pid: Optional[int] = None
        if not osp.isfile(osp.join(self.root, 'layout.json')):
            self._create(cache_dir, first_sample)
        layout = osp.join(self.root, 'layout.json')
        with open(layout) as f:
            try:
                self.layout = json.load(f)
            except ValueError as e:  # JSONDecodeError, bad UTF-8
                raise _damaged(layout, f'it is not valid JSON ({e})') from e

    def _create(self, cache_dir: str, first_sample: dict) -> None:
        """Create the empty files in a temporary folder, then rename it.

        The rename is atomic: of processes creating the same cache at once
        (e.g. the ranks of a distributed run), one wins and the others use
        its folder.
        """
        try:
            os.makedirs(cache_dir, exist_ok=True)
            tmp = tempfile.mkdtemp(dir=cache_dir, prefix='.creating-')
            os.chmod(tmp, 0o755)  # mkdtemp makes it private
        except OSError as e:
            raise OSError(f'TwoViewPipelineCache: cannot write the cache '
                          f'folder {cache_dir!r}: {e}') from e
        results = self.transforms(dict(first_sample))
        layout = {}
        for view in VIEW_KEYS:
            array = results[view]
            layout[view] = dict(shape=list(array.shape), dtype=str(array.dtype))
            np.lib.format.open_memmap(
                osp.join(tmp, f'{view}.npy'),
                mode='w+',
                dtype=array.dtype,
                shape=(self.num_samples, ) + array.shape)
        for name, width in (('stamp', STAMP_BYTES), ('meta', META_BYTES)):
            np.lib.format.open_memmap(
                osp.join(tmp, f'{name}.npy'),
                mode='w+',
                dtype=np.uint8,
                shape=(self.num_samples, width))
        with open(osp.join(tmp, 'layout.json'), 'w') as f:
            json.dump(
                dict(layout, transforms=[repr(t) for t in self.transforms]),
                f,
                indent=1)
        try:
            os.rename(tmp, self.root)
        except OSError:
            shutil.rmtree(tmp)  # another process created it first
            if not osp.isfile(osp.join(self.root, 'layout.json')):
                raise

    def __getstate__(self) -> dict:
        """Never pickle the mapped arrays: each process maps its own."""
        state = self.__dict__.copy()
        state['_arrays'] = None
        state['_pid'] = None
        return state

    @property
    def arrays(self) -> Dict[str, np.ndarray]:
        """The memory-mapped files of this process, mapped on first use."""
        if self._arrays is None or self._pid != os.getpid():
            self._arrays = {}
            for name in VIEW_KEYS + ('stamp', 'meta'):
                path = osp.join(self.root, f'{name}.npy')
                try:
                    self._arrays[name] = np.load(path, mmap_mode='r+')
                except OSError as e:
                    raise OSError(
                        f'TwoViewPipelineCache: cannot open {path} for '
                        f'reading and writing: {e}') from e
                except (EOFError, ValueError) as e:
                    # numpy's message for a bad header speaks of pickles
                    raise _damaged(
                        path, 'it is empty or its .npy header is missing or '
                        'damaged') from e
            self._pid = os.getpid()
        return self._arrays

    @staticmethod
    def stamp(data_info: dict) -> bytes:
        """Digest of a sample's annotation and its image file's stat.

        Args:
            data_info (dict): The sample's data info (``img_path``, ...).

        Returns:
            bytes: ``STAMP_BYTES`` bytes, never all zeros.
        """
        path = data_info['img_path']
        try:
            stat = os.stat(path)
        except OSError as e:
            raise FileNotFoundError(
                f'TwoViewPipelineCache: cannot stat {path!r} (the cache needs '
                f'local image files): {e}') from e
        info = {k: v for k, v in data_info.items() if k != 'sample_idx'}
        text = json.dumps([info, stat.st_size, stat.st_mtime_ns],
                          sort_keys=True,
                          default=str)
        digest = hashlib.blake2b(
            text.encode(), digest_size=STAMP_BYTES - 1).digest()
        return b'\x01' + digest

    def is_filled(self, idx: int, data_info: dict) -> bool:
        """Whether row ``idx`` holds the current output of this sample."""
        return self.arrays['stamp'][idx].tobytes() == self.stamp(data_info)

    def __call__(self, data_info: dict) -> dict:
        """Output of the cached transforms for one sample.

        Args:
            data_info (dict): The sample's data info, with ``sample_idx``
                (its row).

        Returns:
            dict: What the cached transforms return for ``data_info``: read
            from the cache, or computed and stored when the row is missing
            or stale.
        """
        idx = data_info['sample_idx']
        arrays = self.arrays
        stamp = self.stamp(data_info)
        if arrays['stamp'][idx].tobytes() != stamp:
            return self._fill(idx, data_info, stamp)
        try:
            meta = _decode(
                json.loads(arrays['meta'][idx].tobytes().rstrip(b'\x00')))
        except (ValueError, TypeError, KeyError):  # damaged: recompute
            return self._fill(idx, data_info, stamp)
        results = dict(data_info)
        results.update(meta)
        for view in VIEW_KEYS:
            results[view] = np.array(arrays[view][idx])
        return results

    def _fill(self, idx: int, data_info: dict, stamp: bytes) -> dict:
        """Run the cached transforms on one sample and store the row."""
        arrays = self.arrays
        results = self.transforms(dict(data_info))
        for view in VIEW_KEYS:
            array = results[view]
            layout = self.layout[view]
            if (list(array.shape) != layout['shape']
                    or str(array.dtype) != layout['dtype']):
                raise ValueError(
                    f'TwoViewPipelineCache: the cached steps give a {view} '
                    f'of {array.dtype} {array.shape} for '
                    f'{data_info["img_path"]!r}, but '
                    f'{layout["dtype"]} {tuple(layout["shape"])} for the '
                    'first sample; the cached steps must end with views of '
                    'a fixed size (e.g. Resize to a fixed scale).')
            arrays[view][idx] = array
        changed = {
            k: v
            for k, v in results.items()
            if k not in VIEW_KEYS and v is not data_info.get(k)
        }
        meta = json.dumps(_encode(changed)).encode()
        if len(meta) > META_BYTES:
            raise ValueError(
                f'TwoViewPipelineCache: the cached steps add {len(meta)} '
                f'bytes of metadata for {data_info["img_path"]!r}; at most '
                f'{META_BYTES} fit.')
        row = np.zeros(META_BYTES, np.uint8)
        row[:len(meta)] = np.frombuffer(meta, np.uint8)
        arrays['meta'][idx] = row
        arrays['stamp'][idx] = np.frombuffer(stamp, np.uint8)
        return results
