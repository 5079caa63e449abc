from .face_onnx_module import FaceOnnxModule, export_face_onnx
from .onnx_export import TwoViewOnnxModule, export_onnx
from .onnx_metadata import load_checked_model, save_with_metadata
from .onnxruntime_classifier import OnnxRuntimeClassifier
from .optional import import_optional
from .view_shapes import face_crop_shape, pipeline_view_shapes

__all__ = [
    'FaceOnnxModule', 'TwoViewOnnxModule', 'export_face_onnx', 'export_onnx',
    'OnnxRuntimeClassifier', 'import_optional', 'load_checked_model',
    'save_with_metadata', 'face_crop_shape', 'pipeline_view_shapes'
]
