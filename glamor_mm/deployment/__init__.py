from .face_onnx_module import FaceOnnxModule, export_face_onnx
from .onnx_export import TwoViewOnnxModule, export_onnx, import_optional
from .onnxruntime_classifier import OnnxRuntimeClassifier

__all__ = [
    'FaceOnnxModule', 'TwoViewOnnxModule', 'export_face_onnx', 'export_onnx',
    'OnnxRuntimeClassifier', 'import_optional'
]
