"""Draw face boxes, emotion labels and GLA attention maps."""
import math
from typing import List, Optional, Sequence

import cv2
import mmcv
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.dist import master_only
from mmengine.visualization import Visualizer
from mmpretrain.registry import VISUALIZERS
from mmpretrain.structures import DataSample

from .face_labels import face_label


def fit_tile(image: np.ndarray, size: int) -> np.ndarray:
    """Rescale an image to fit in ``size``×``size`` and pad it (black).

    Args:
        image (np.ndarray): H×W×3 uint8 image.
        size (int): Side of the square tile.

    Returns:
        np.ndarray: size×size×3 uint8 tile, image centred.
    """
    scaled = mmcv.imrescale(image, (size, size))
    tile = np.zeros((size, size, 3), np.uint8)
    h, w = scaled.shape[:2]
    y, x = (size - h) // 2, (size - w) // 2
    tile[y:y + h, x:x + w] = scaled
    return tile


def put_label(tile: np.ndarray, text: str) -> np.ndarray:
    """Write ``text`` in white on a dark band at the top of ``tile``."""
    tile = tile.copy()
    scale = max(tile.shape[1] / 400, 0.35)
    (_, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    tile[:th + 8] = (tile[:th + 8] * 0.4).astype(np.uint8)
    cv2.putText(tile, text, (3, th + 3), cv2.FONT_HERSHEY_SIMPLEX, scale,
                (255, 255, 255), 1, cv2.LINE_AA)
    return tile


@VISUALIZERS.register_module()
class FaceEmotionVisualizer(Visualizer):
    """Visualiser of in-the-wild emotion predictions and attention maps.

    - :meth:`visualize_faces`: the picture with a numbered box and the
      predicted emotion of every face, and below it, for each face, the
      masked context view the model saw with that face's attention map
      (GLA depends on the face) overlaid.
    - :meth:`attention_grid`: the paper's Fig. 9 layout, one column per
      sample, rows image / masked image / attention map(s).

    Images are RGB uint8 arrays. Args as :class:`mmengine.Visualizer`.
    """

    def __init__(self, name: str = 'visualizer', **kwargs) -> None:
        super().__init__(name=name, **kwargs)

    def attention_overlay(self, context: np.ndarray,
                          attention: Optional[torch.Tensor],
                          size: int) -> np.ndarray:
        """The context view with the attention map overlaid, as a tile.

        Args:
            context (np.ndarray): RGB context view, h×w×3.
            attention (Tensor, optional): H×W attention map (or None: the
                context alone).
            size (int): Tile side.

        Returns:
            np.ndarray: size×size×3 RGB tile.
        """
        tile = mmcv.imresize(context, (size, size))
        if attention is None:
            return tile
        attention = torch.as_tensor(attention, dtype=torch.float32).cpu()
        attention = F.interpolate(
            attention[None, None], (size, size),
            mode='bilinear',
            align_corners=False)[0]
        return self.draw_featmap(attention, tile, alpha=0.5)

    @master_only
    def visualize_faces(self,
                        image: np.ndarray,
                        faces: Sequence[DataSample],
                        classes: Optional[Sequence[str]] = None,
                        context: Optional[np.ndarray] = None,
                        draw_score: bool = True,
                        draw_attention: bool = True,
                        show: bool = False,
                        wait_time: float = 0,
                        out_file: Optional[str] = None,
                        name: str = '') -> np.ndarray:
        """Draw the faces of one picture.

        Args:
            image (np.ndarray): RGB picture, H×W×3.
            faces (Sequence[DataSample]): Per face: ``pred_label``,
                ``pred_score`` and metainfo ``face_bbox``; optional
                ``attention`` (h×w), ``fusion_weights`` ([w_f, w_c]) and
                metainfo ``track_id`` (written instead of the face number)
                and ``model_note`` (written after the label, e.g.
                ``'face-only FER2013'``).
            classes (Sequence[str], optional): Class names. Defaults to None.
            context (np.ndarray, optional): The RGB masked context view the
                model saw; needed for the attention tiles. Defaults to None.
            draw_score (bool): Write the score. Defaults to True.
            draw_attention (bool): Add the attention tiles. Defaults to True.
            show (bool): Show in a window. Defaults to False.
            wait_time (float): Seconds to show. Defaults to 0.
            out_file (str, optional): Save the drawing (PNG). Defaults to
                None.
            name (str): Window / image name. Defaults to ''.

        Returns:
            np.ndarray: The RGB drawing.
        """
        self.set_image(image)
        height, width = image.shape[:2]
        line = max(2, round(max(height, width) / 300))
        font = max(10, round(max(height, width) / 50))
        tiles = []
        for i, face in enumerate(faces, start=1):
            box = torch.as_tensor(face.metainfo['face_bbox']).reshape(1, 4)
            text = face_label(face, i, classes, draw_score)
            self.draw_bboxes(box, edge_colors='lime', line_widths=line)
            x1, y1 = float(box[0, 0]), float(box[0, 1])
            self.draw_texts(
                text,
                torch.tensor([x1, max(y1 - font * 1.5, 0.)]),
                colors='white',
                font_sizes=font,
                bboxes=dict(
                    facecolor='black', alpha=0.6, pad=1, edgecolor='none'))
            if draw_attention and context is not None:
                tiles.append((i, face))
        drawing = self.get_image()
        if tiles:
            drawing = np.concatenate(
                [drawing,
                 self._tile_rows(tiles, context, width, height)],
                axis=0)
        self.set_image(drawing)
        if show:
            self.show(drawing, win_name=name, wait_time=wait_time)
        if out_file is not None:
            mmcv.imwrite(drawing[..., ::-1], out_file)
        return drawing

    def _tile_rows(self, tiles: List[tuple], context: np.ndarray, width: int,
                   height: int) -> np.ndarray:
        """Rows of attention tiles (one per face), ``width`` wide."""
        cols = max(1, min(len(tiles), width // 128))
        size = min(width // cols, max(128, height // 2))
        rows = []
        for start in range(0, len(tiles), cols):
            row = np.zeros((size, width, 3), np.uint8)
            for j, (i, face) in enumerate(tiles[start:start + cols]):
                attention = face.get('attention')
                tile = self.attention_overlay(context, attention, size)
                text = f'{i}: ' + ('attention' if attention is not None else
                                   'context (no attention)')
                weights = face.get('fusion_weights')
                if weights is not None:
                    text += f' w_f {float(weights[0]):.2f}'
                row[:, j * size:(j + 1) * size] = put_label(tile, text)
            rows.append(row)
        return np.concatenate(rows, axis=0)

    def attention_grid(self,
                       columns: Sequence[dict],
                       size: int = 160,
                       out_file: Optional[str] = None) -> np.ndarray:
        """The paper's Fig. 9: rows image, masked image, attention map(s).

        Args:
            columns (Sequence[dict]): One dict per sample with ``image`` (RGB
                picture), ``masked`` (RGB masked context view), ``title``
                (str) and ``attentions`` (list of ``(row name, h×w attention
                or None)``, one per model).
            size (int): Tile side. Defaults to 160.
            out_file (str, optional): Save the grid (PNG). Defaults to None.

        Returns:
            np.ndarray: The RGB grid.
        """
        if not columns:
            raise ValueError('attention_grid needs at least one sample.')
        grid = []
        for column in columns:
            cells = [
                put_label(fit_tile(column['image'], size), column['title']),
                put_label(
                    mmcv.imresize(column['masked'], (size, size)), 'masked')
            ]
            for row_name, attention in column['attentions']:
                cells.append(
                    put_label(
                        self.attention_overlay(column['masked'], attention,
                                               size), row_name))
            grid.append(np.concatenate(cells, axis=0))
        per_row = min(len(grid), 8)
        blank = np.zeros_like(grid[0])
        grid += [blank] * (
            math.ceil(len(grid) / per_row) * per_row - len(grid))
        image = np.concatenate([
            np.concatenate(grid[i:i + per_row], axis=1)
            for i in range(0, len(grid), per_row)
        ],
                               axis=0)
        if out_file is not None:
            mmcv.imwrite(image[..., ::-1], out_file)
        return image
