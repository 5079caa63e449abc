"""Face boxes and emotion labels drawn straight into video frames."""
from typing import Optional, Sequence

import cv2
import numpy as np
from mmpretrain.structures import DataSample


def face_label(face: DataSample,
               index: int,
               classes: Optional[Sequence[str]] = None,
               draw_score: bool = True) -> str:
    """The text drawn by a face: ``'#track: class score (model note)'``.

    Args:
        face (DataSample): A face with ``pred_label``, ``pred_score`` and
            maybe metainfo ``track_id`` and ``model_note`` (e.g. that the
            default model is face-only).
        index (int): Its number in the picture, used without a track id.
        classes (Sequence[str], optional): Class names. Defaults to None
            (the label number).
        draw_score (bool): Add the label's score. Defaults to True.

    Returns:
        str: The text.
    """
    label = int(face.pred_label)
    ident = face.metainfo.get('track_id')
    ident = index if ident is None else f'#{ident}'
    text = f'{ident}: ' + (classes[label] if classes else str(label))
    if draw_score:
        text += f' {float(face.pred_score[label]):.2f}'
    if face.metainfo.get('model_note'):
        text += f" ({face.metainfo['model_note']})"
    return text


def draw_face_labels(frame: np.ndarray,
                     faces: Sequence[DataSample],
                     classes: Optional[Sequence[str]] = None,
                     draw_score: bool = True) -> np.ndarray:
    """Draw each face's box (green) and label into a BGR frame, in place.

    The video counterpart of :meth:`FaceEmotionVisualizer.visualize_faces`
    (same boxes and texts, no attention tiles): OpenCV calls only, well
    under a millisecond a frame where the Matplotlib-backed visualiser
    takes tens of milliseconds.

    Args:
        frame (np.ndarray): BGR uint8 frame, ``H x W x 3``; drawn into.
        faces (Sequence[DataSample]): Faces with metainfo ``face_bbox``.
        classes (Sequence[str], optional): Class names. Defaults to None.
        draw_score (bool): Write the scores. Defaults to True.

    Returns:
        np.ndarray: ``frame``.
    """
    height, width = frame.shape[:2]
    line = max(2, round(max(height, width) / 300))
    scale = max(10, round(max(height, width) / 50)) / 30
    for i, face in enumerate(faces, start=1):
        x1, y1, x2, y2 = (
            int(round(float(v))) for v in face.metainfo['face_bbox'])
        cv2.rectangle(frame, (x1, y1), (x2, y2), (0, 255, 0), line)
        text = face_label(face, i, classes, draw_score)
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale,
                                         1)
        top = max(y1 - th - base - 2 * line, 0)
        cv2.rectangle(frame, (x1, top), (x1 + tw + 4, top + th + base + 4),
                      (0, 0, 0), -1)
        cv2.putText(frame, text, (x1 + 2, top + th + 2),
                    cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1,
                    cv2.LINE_AA)
    return frame
