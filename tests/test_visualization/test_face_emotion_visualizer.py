import numpy as np
import pytest
import torch
from mmpretrain.registry import VISUALIZERS
from mmpretrain.structures import DataSample

import glamor_mm  # noqa: F401
from glamor_mm.visualization import FaceEmotionVisualizer, fit_tile


@pytest.fixture(scope='module')
def visualizer():
    return VISUALIZERS.build(
        dict(type='FaceEmotionVisualizer', name='test_face_emotion_vis'))


def face(box, label, attention=None, weights=None):
    sample = DataSample(metainfo=dict(face_bbox=np.asarray(box, np.float32)))
    score = torch.full((7, ), 0.05)
    score[label] = 0.7
    sample.set_pred_score(score).set_pred_label(label)
    if attention is not None:
        sample.set_field(attention, 'attention')
    if weights is not None:
        sample.set_field(torch.tensor(weights), 'fusion_weights')
    return sample


def test_boxes_labels_and_attention_tiles(visualizer, tmp_path):
    image = np.full((300, 400, 3), 128, np.uint8)
    context = np.full((112, 112, 3), 200, np.uint8)
    attention = torch.zeros(7, 7)
    attention[1, 5] = 1.  # all attention at the top right
    faces = [
        face([50, 60, 150, 200], 3, attention, [0.6, 0.4]),
        face([250, 100, 350, 250], 5, attention.flip(1), [0.3, 0.7])
    ]
    out = tmp_path / 'vis.png'
    drawing = visualizer.visualize_faces(
        image,
        faces,
        classes=[str(i) for i in range(7)],
        context=context,
        out_file=str(out))
    assert isinstance(visualizer, FaceEmotionVisualizer)
    # the picture on top, one row of two square tiles (400 // 2 = 200 wide,
    # capped at max(128, 300 // 2) = 150) below
    assert drawing.shape == (300 + 150, 400, 3)
    assert out.is_file()
    # box edges are drawn in lime on the picture
    left_edge = drawing[100:180, 48:53]
    assert (np.abs(left_edge.astype(int) - [0, 255, 0]).sum(-1) < 100).any()
    assert (drawing[100:180, 60:140] == 128).all()  # inside: untouched
    # attention tiles: the hot corner (red) is top-right for face 1 and
    # top-left for face 2; tiles are below the picture
    tile1 = drawing[300:450, 0:150].astype(int)
    tile2 = drawing[300:450, 150:300].astype(int)

    def redness(tile, x):  # cell (1, 5) is around y=32, x=118 of 150
        return (tile[25:40, x:x + 20, 0] - tile[25:40, x:x + 20, 2]).mean()

    assert redness(tile1, 108) > redness(tile1, 22) + 50
    assert redness(tile2, 22) > redness(tile2, 108) + 50
    # no attention tiles without a context view
    plain = visualizer.visualize_faces(image, faces)
    assert plain.shape == image.shape


def test_attention_grid_layout(visualizer):
    column = dict(
        image=np.zeros((60, 90, 3), np.uint8),
        masked=np.zeros((112, 112, 3), np.uint8),
        title='GT Happy',
        attentions=[('A', torch.rand(7, 7)), ('B', None)])
    grid = visualizer.attention_grid([column] * 3, size=50)
    assert grid.shape == (4 * 50, 3 * 50, 3)
    with pytest.raises(ValueError, match='at least one'):
        visualizer.attention_grid([])


def test_fit_tile_keeps_aspect_ratio():
    tile = fit_tile(np.full((50, 100, 3), 255, np.uint8), 40)
    assert tile.shape == (40, 40, 3)
    assert tile[:, :, 0].sum(1).nonzero()[0].tolist() == list(range(10, 30))
