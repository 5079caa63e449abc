"""Import the optional ONNX packages, or say how to install them."""
import importlib
from types import ModuleType


def import_optional(name: str) -> ModuleType:
    """Import ``onnx`` or ``onnxruntime``, or say how to install it.

    Args:
        name (str): The module (and pip package) name.

    Returns:
        ModuleType: The module.
    """
    try:
        return importlib.import_module(name)
    except ImportError as e:
        raise ImportError(
            f'ONNX export and the ONNX Runtime backend need {name}: '
            f'`pip install {name}` (or `bash tools/setup_env.sh --tests`, '
            'which installs requirements/optional.txt).') from e
