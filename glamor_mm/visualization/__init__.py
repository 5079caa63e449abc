from .face_emotion_visualizer import FaceEmotionVisualizer, fit_tile
from .face_labels import draw_face_labels, face_label

__all__ = [
    'FaceEmotionVisualizer', 'fit_tile', 'draw_face_labels', 'face_label'
]
