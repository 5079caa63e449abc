"""A memory-mapped cache of the deterministic start of a two-view pipeline.

Decoding a 712x400 PNG costs about 11 ms, the rest of the training pipeline
about 5 ms. Everything before the first random step -- decode, face crop,
face masking and the context resize -- gives the same arrays in every epoch,
so :class:`TwoViewPipelineCache` stores its output once per image in
memory-mapped ``.npy`` files and the random steps run on those arrays.
"""
import hashlib
import json
import logging
import os
import os.path as osp
import shutil
import tempfile
import zlib
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import Compose, LoadImageFromFile, Resize
from mmengine.logging import print_log

# MMCV's transforms without randomness whose output depends only on the
# sample's annotation and image file (and those of their subclasses). Our own
# transforms say so with a class attribute ``cacheable = True``.
LIBRARY_CACHEABLE_TRANSFORMS = (LoadImageFromFile, Resize)
# The two views; every other key the cached transforms add is stored as JSON.
VIEW_KEYS = ('img', 'face_img')
FORMAT_VERSION = 2
STAMP_BYTES = 16
META_BYTES = 1024
# How a row's stamp sees the image file: its size and modification time, or
# a hash of its content.
CACHE_CHECKS = ('stat', 'hash')


def is_cacheable(transform: Callable) -> bool:
    """Whether a built transform has no randomness and an output that
    depends only on the sample's annotation and image file.

    Args:
        transform (Callable): A built transform.

    Returns:
        bool: True for instances of ``LIBRARY_CACHEABLE_TRANSFORMS`` and of
        classes with a true ``cacheable`` attribute.
    """
    return (isinstance(transform, LIBRARY_CACHEABLE_TRANSFORMS)
            or bool(getattr(type(transform), 'cacheable', False)))


def split_cacheable(
        transforms: Sequence[Callable]
) -> Tuple[List[Callable], List[Callable]]:
    """Split a pipeline into its cacheable start and the rest.

    Args:
        transforms (Sequence[Callable]): Built transforms, in order.

    Returns:
        tuple[list, list]: The leading transforms that are
        :func:`is_cacheable`, and the remaining ones.
    """
    count = 0
    while count < len(transforms) and is_cacheable(transforms[count]):
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
    ``scale_factor``, ...) as JSON, and a stamp and a checksum per row.
    Invalidation:

    - ``key`` hashes the cached transforms (their class and ``repr``, i.e.
      every setting), the list of image paths and ``check``, so a changed
      pipeline setting or data list uses a new folder;
    - the stamp of a row hashes the sample's annotation (path, face box,
      label) and the image file's size and modification time
      (``check='stat'``) or its content (``check='hash'``, which also sees
      a replaced file of the same size whose modification time was
      restored, at the cost of reading the whole file at every access); a
      row whose stamp differs from the current one is recomputed and
      rewritten.

    Damage: every file's size is checked against the layout when it is
    mapped (a truncated file, e.g. an interrupted copy of the folder, is an
    error; a file is never grown), and every read verifies the row's CRC-32
    (both views and the metadata), so a row changed in place is recomputed
    (with a warning), never served.

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
        check (str): What the stamp of a row sees of the image file:
            ``'stat'`` (size and modification time) or ``'hash'`` (its
            content). Defaults to ``'stat'``.
    """

    def __init__(self,
                 cache_dir: str,
                 transforms: Sequence[Callable],
                 img_paths: Sequence[str],
                 first_sample: dict,
                 check: str = 'stat') -> None:
        if check not in CACHE_CHECKS:
            raise ValueError(f'TwoViewPipelineCache: check must be one of '
                             f'{CACHE_CHECKS}, got {check!r}.')
        self.check = check
        if not transforms:
            raise ValueError(
                'TwoViewPipelineCache: the pipeline does not start with a '
                'cacheable transform (LoadImageFromFile, Resize or a '
                'transform whose class sets cacheable = True, e.g. '
                'CropFace, MaskFace).')
        self.transforms = Compose(transforms)
        key = hashlib.sha1(
            json.dumps([
                FORMAT_VERSION, check,
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
            layout[view] = dict(
                shape=list(array.shape), dtype=str(array.dtype))
            np.lib.format.open_memmap(
                osp.join(tmp, f'{view}.npy'),
                mode='w+',
                dtype=array.dtype,
                shape=(self.num_samples, ) + array.shape)
        for name, (shape, dtype) in self._aux_files().items():
            np.lib.format.open_memmap(
                osp.join(tmp, f'{name}.npy'),
                mode='w+',
                dtype=dtype,
                shape=(self.num_samples, ) + shape)
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

    @staticmethod
    def _aux_files() -> Dict[str, Tuple[tuple, str]]:
        """Row shape and dtype of the files beside the views."""
        return dict(
            stamp=((STAMP_BYTES, ), '|u1'),
            meta=((META_BYTES, ), '|u1'),
            crc=((), '<u4'))

    def _check_file_size(self, name: str, path: str) -> None:
        """Refuse a file whose header or size disagrees with the layout.

        ``np.load(mmap_mode='r+')`` zero-extends a short file; a truncated
        file must be an error instead.
        """
        files = {
            view: (tuple(layout['shape']), layout['dtype'])
            for view, layout in self.layout.items() if view in VIEW_KEYS
        }
        files.update(self._aux_files())
        row_shape, dtype = files[name]
        shape = (self.num_samples, ) + row_shape
        expected = np.dtype(dtype)
        try:
            with open(path, 'rb') as f:
                if np.lib.format.read_magic(f) == (1, 0):
                    header = np.lib.format.read_array_header_1_0(f)
                else:
                    header = np.lib.format.read_array_header_2_0(f)
                offset, size = f.tell(), os.fstat(f.fileno()).st_size
        except (OSError, ValueError) as e:
            raise OSError(f'TwoViewPipelineCache: cannot read the header of '
                          f'{path}: {e}. Delete the folder {self.root} to '
                          'rebuild the cache.') from e
        needed = offset + int(np.prod(shape)) * expected.itemsize
        if header != (shape, False, expected) or size != needed:
            raise OSError(
                f'TwoViewPipelineCache: {path} is truncated or damaged: it '
                f'has {size} bytes of a {header[2]} array {header[0]}, the '
                f'cache layout needs {needed} bytes of {expected} {shape}. '
                f'Delete the folder {self.root} to rebuild the cache.')

    @property
    def arrays(self) -> Dict[str, np.ndarray]:
        """The memory-mapped files of this process, mapped on first use."""
        if self._arrays is None or self._pid != os.getpid():
            self._arrays = {}
            for name in VIEW_KEYS + tuple(self._aux_files()):
                path = osp.join(self.root, f'{name}.npy')
                self._check_file_size(name, path)
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

    def stamp(self, data_info: dict) -> bytes:
        """Digest of a sample's annotation and its image file.

        The file enters by its size and modification time, or with
        ``check='hash'`` by the BLAKE2b digest of its content.

        Args:
            data_info (dict): The sample's data info (``img_path``, ...).

        Returns:
            bytes: ``STAMP_BYTES`` bytes, never all zeros.
        """
        info = {k: v for k, v in data_info.items() if k != 'sample_idx'}
        return self.digest([info, self.file_id(data_info['img_path'])])

    def file_id(self, path: str) -> Union[list, str]:
        """What a stamp sees of a file: ``[size, mtime_ns]`` or, with
        ``check='hash'``, the BLAKE2b hex digest of its content."""
        try:
            stat = os.stat(path)
        except OSError as e:
            raise FileNotFoundError(
                f'TwoViewPipelineCache: cannot stat {path!r} (the cache needs '
                f'local image files): {e}') from e
        if self.check == 'hash':
            digest = hashlib.blake2b()
            with open(path, 'rb') as f:
                for chunk in iter(lambda: f.read(1 << 20), b''):
                    digest.update(chunk)
            return digest.hexdigest()
        return [stat.st_size, stat.st_mtime_ns]

    @staticmethod
    def digest(value) -> bytes:
        """A stamp: ``STAMP_BYTES`` bytes of the hash of ``value``'s JSON,
        never all zeros (the mark of an empty row)."""
        text = json.dumps(value, sort_keys=True, default=str)
        digest = hashlib.blake2b(
            text.encode(), digest_size=STAMP_BYTES - 1).digest()
        return b'\x01' + digest

    def is_filled(self, idx: int, data_info: dict) -> bool:
        """Whether row ``idx`` holds the current output of this sample
        (stamp and checksum)."""
        arrays = self.arrays
        row = [arrays[name][idx] for name in VIEW_KEYS + ('meta', )]
        return (arrays['stamp'][idx].tobytes() == self.stamp(data_info)
                and self._row_crc(*row) == arrays['crc'][idx])

    def update(self, idx: int, data_info: dict) -> int:
        """Compute the row of a sample if it is missing or stale.

        Args:
            idx (int): The sample's index (its row).
            data_info (dict): Its data info.

        Returns:
            int: Rows computed (0 or 1).
        """
        if self.is_filled(idx, data_info):
            return 0
        self(data_info)
        return 1

    @staticmethod
    def _row_crc(*parts: np.ndarray) -> int:
        """CRC-32 of a row's views and metadata bytes."""
        crc = 0
        for part in parts:
            crc = zlib.crc32(np.ascontiguousarray(part).data, crc)
        return crc

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
        # copies, verified: what is served is what the checksum covers
        views = {view: np.array(arrays[view][idx]) for view in VIEW_KEYS}
        meta_row = np.array(arrays['meta'][idx])
        if self._row_crc(*views.values(), meta_row) != arrays['crc'][idx]:
            print_log(
                f'TwoViewPipelineCache: row {idx} of {self.root} '
                f'({data_info["img_path"]}) does not match its checksum '
                '(changed in place); recomputing it.',
                logger='current',
                level=logging.WARNING)
            return self._fill(idx, data_info, stamp)
        try:
            meta = _decode(json.loads(meta_row.tobytes().rstrip(b'\x00')))
        except (ValueError, TypeError, KeyError):  # damaged: recompute
            return self._fill(idx, data_info, stamp)
        results = dict(data_info)
        results.update(meta)
        results.update(views)
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
        arrays['crc'][idx] = self._row_crc(
            *(results[view] for view in VIEW_KEYS), row)
        arrays['stamp'][idx] = np.frombuffer(stamp, np.uint8)
        return results
