from .face_emotion_visualizer import FaceEmotionVisualizer, fit_tile

__all__ = ['FaceEmotionVisualizer', 'fit_tile']
