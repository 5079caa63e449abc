"""Find the configs shipped with glamor_mm from any working directory."""
import os.path as osp
from typing import List

PACKAGE_DIR = osp.dirname(osp.dirname(osp.abspath(__file__)))


def config_search_paths(path: str) -> List[str]:
    """Where :func:`resolve_config_path` looks for a relative ``path``.

    Args:
        path (str): E.g. ``'configs/face_detectors/dlib_hog.py'``.

    Returns:
        list[str]: ``path`` itself (the working directory), the repository of
        a source checkout or editable install, and the copy in an installed
        package (``glamor_mm/.mim/``, as MMPretrain packages its configs).
    """
    return [
        path,
        osp.join(osp.dirname(PACKAGE_DIR), path),
        osp.join(PACKAGE_DIR, '.mim', path)
    ]


def package_file(path: str) -> str:
    """Find a file shipped with glamor_mm, such as ``'model-index.yml'``.

    Unlike :func:`resolve_config_path`, the working directory is not
    searched, so another project's file of the same name is never taken.

    Args:
        path (str): A path relative to the repository root.

    Returns:
        str: The file in the repository of a source checkout or editable
        install, else in the installed package's ``glamor_mm/.mim/``.

    Raises:
        FileNotFoundError: Neither exists; the message lists both.
    """
    candidates = config_search_paths(path)[1:]
    for candidate in candidates:
        if osp.isfile(candidate):
            return candidate
    raise FileNotFoundError(f'{path} is not shipped with glamor_mm; looked '
                            f'at {", ".join(candidates)}.')


def resolve_config_path(path: str) -> str:
    """Resolve a config path against the working directory, then glamor_mm.

    So that defaults such as ``'configs/face_detectors/dlib_hog.py'`` work
    outside the repository root and from an installed package.

    Args:
        path (str): A config path; an absolute one is returned unchanged.

    Returns:
        str: The first existing candidate of :func:`config_search_paths`.

    Raises:
        FileNotFoundError: None exists; the message lists the places tried.
    """
    if osp.isabs(path):
        candidates = [path]
    else:
        candidates = config_search_paths(path)
    for candidate in candidates:
        if osp.isfile(candidate):
            return candidate
    raise FileNotFoundError(f'Config {path} not found; looked at '
                            f'{", ".join(candidates)}.')
