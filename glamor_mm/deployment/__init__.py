from .onnx_export import TwoViewOnnxModule, export_onnx
from .onnxruntime_classifier import OnnxRuntimeClassifier, import_onnxruntime

__all__ = [
    'TwoViewOnnxModule', 'export_onnx', 'OnnxRuntimeClassifier',
    'import_onnxruntime'
]
