"""Read annotation, face-box and face-track files as data only.

:func:`mmengine.fileio.load` picks a reader by extension, and two of its
readers run code stored in the file: ``.pkl`` (plain ``pickle``) and
``.yaml`` (PyYAML's full loader, which builds any Python object). A data
file that someone else made must never do that, so glamor_mm reads them
with :func:`load_data_file`: JSON (any other extension), YAML with the safe
loader, and pickles only on request and only through the restricted
unpickler of :func:`glamor_mm.utils.safe_pickle_load` (builtins, numpy
arrays and tensors).
"""
import json
import os.path as osp
from typing import Any, Optional

import yaml
from mmengine.fileio import get_local_path, get_text

from glamor_mm.checkpoint import safe_pickle_load

PICKLE_EXTENSIONS = ('.pkl', '.pickle')
YAML_EXTENSIONS = ('.yaml', '.yml')


def data_file_format(filename: str) -> str:
    """The format :func:`load_data_file` reads ``filename`` as.

    Args:
        filename (str): The file name.

    Returns:
        str: ``'pickle'``, ``'yaml'`` or ``'json'`` (every other extension).
    """
    ext = osp.splitext(filename)[1].lower()
    if ext in PICKLE_EXTENSIONS:
        return 'pickle'
    return 'yaml' if ext in YAML_EXTENSIONS else 'json'


def load_data_file(filename: str,
                   file_format: Optional[str] = None,
                   allow_pickle: bool = False,
                   opt_in: str = 'allow_pickle=True') -> Any:
    """Load a data file without running anything stored in it.

    Args:
        filename (str): Local path or URI of a file backend of MMEngine.
        file_format (str, optional): ``'json'``, ``'yaml'`` or ``'pickle'``
            instead of the one the extension names (see
            :func:`data_file_format`). Defaults to None.
        allow_pickle (bool): Read a pickle with the restricted unpickler of
            :func:`safe_pickle_load` (it may hold builtins, numpy arrays and
            tensors; anything else is refused unless the file was trusted
            with :func:`glamor_mm.utils.trust_checkpoint`). When False, a
            pickle is refused. Defaults to False.
        opt_in (str): How a user passes ``allow_pickle``, for the error
            message. Defaults to ``'allow_pickle=True'``.

    Returns:
        Any: The file's content.

    Raises:
        ValueError: The file is a pickle and ``allow_pickle`` is False, or
            it is not valid JSON / YAML; the message names the file.
        UntrustedCheckpointError: A pickle holds other objects.
    """
    file_format = file_format or data_file_format(filename)
    if file_format == 'pickle':
        if not allow_pickle:
            raise ValueError(
                f'Refusing to read {filename}: it is a pickle, and reading '
                'a pickle can run code stored in it. Convert it to JSON '
                '(e.g. mmengine.dump(data, "file.json") where you trust it), '
                f'or pass {opt_in} to read it with the restricted unpickler '
                '(builtins, numpy arrays and tensors only).')
        with get_local_path(filename) as path:
            return safe_pickle_load(path, opt_in)
    if file_format not in ('json', 'yaml'):
        raise ValueError(f'{filename}: unknown data file format '
                         f"{file_format!r} (use 'json', 'yaml' or 'pickle').")
    try:
        text = get_text(filename)
        if file_format == 'yaml':
            return yaml.safe_load(text)
        return json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError) as e:
        raise ValueError(f'{filename} is not a valid {file_format.upper()} '
                         f'file: {e}') from None
