from .onnx_export import TwoViewOnnxModule, export_onnx, import_optional
from .onnxruntime_classifier import OnnxRuntimeClassifier

__all__ = [
    'TwoViewOnnxModule', 'export_onnx', 'OnnxRuntimeClassifier',
    'import_optional'
]
