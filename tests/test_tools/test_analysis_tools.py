import importlib.util
import json
import os.path as osp

import cv2
import mmengine
import numpy as np
import pytest
import torch
from mmpretrain.structures import DataSample

from glamor_mm.datasets.toy.caers import (draw_guided_scene, draw_toy_scene,
                                          guided_object_masks)
from glamor_mm.evaluation import (attention_mass_on_masks,
                                  load_prediction_dump, stuart_maxwell)
from glamor_mm.checkpoint import UntrustedCheckpointError

TOOLS = osp.join(osp.dirname(__file__), '..', '..', 'tools', 'analysis_tools')


def load_tool(name):
    spec = importlib.util.spec_from_file_location(
        f'tool_{name}', osp.join(TOOLS, f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_dump(path, preds, gts, num_classes=7):
    """A dump as tools/test.py --out writes it (DataSample.to_dict())."""
    results = []
    for i, (pred, gt) in enumerate(zip(preds, gts)):
        score = torch.full((num_classes, ), 0.01)
        score[pred] = 1 - 0.01 * (num_classes - 1)
        sample = DataSample(metainfo=dict(img_path=f'img_{i}.png'))
        sample.set_gt_label(int(gt)).set_pred_score(score).set_pred_label(
            int(pred))
        results.append(sample.to_dict())
    mmengine.dump(results, path)
    return str(path)


@pytest.fixture
def dumps(tmp_path):
    rng = np.random.default_rng(0)
    gts = rng.integers(0, 7, size=200)
    good = np.where(rng.random(200) < 0.8, gts, rng.integers(0, 7, 200))
    bad = np.where(rng.random(200) < 0.3, gts, 4)  # predicts Neutral a lot
    return (write_dump(tmp_path / 'good.pkl', good,
                       gts), write_dump(tmp_path / 'bad.pkl', bad,
                                        gts), good, bad, gts)


def test_load_prediction_dump(dumps):
    path, _, good, _, gts = dumps
    dump = load_prediction_dump(path)
    np.testing.assert_array_equal(dump.pred_labels, good)
    np.testing.assert_array_equal(dump.gt_labels, gts)
    assert dump.img_paths[3] == 'img_3.png'
    assert dump.num_classes == 7


def test_load_prediction_dump_errors(tmp_path):
    mmengine.dump([dict(pred_label=torch.tensor([1]))], tmp_path / 'a.pkl')
    with pytest.raises(ValueError, match='a.pkl.*gt_label'):
        load_prediction_dump(str(tmp_path / 'a.pkl'))
    mmengine.dump({'accuracy/top1': 1.0}, tmp_path / 'm.pkl')
    with pytest.raises(ValueError, match='m.pkl.*list'):
        load_prediction_dump(str(tmp_path / 'm.pkl'))


def test_stuart_maxwell_tool(dumps, tmp_path, capsys):
    good_path, bad_path, good, bad, gts = dumps
    out = tmp_path / 'table.json'
    load_tool('stuart_maxwell').main(
        [good_path, bad_path, '--names', 'GLA', 'CA', '--out',
         str(out)])
    printed = capsys.readouterr().out
    assert '| Methods | GLA | CA |' in printed
    result = json.loads(out.read_text())
    assert result['names'] == ['GLA', 'CA'] and result['num_classes'] == 7
    table = result['table']
    assert table[1][0] is None  # lower triangle left empty
    expected = {
        (0, 0): stuart_maxwell(good, gts, 7),
        (1, 1): stuart_maxwell(bad, gts, 7),
        (0, 1): stuart_maxwell(good, bad, 7),
    }
    for (i, j), res in expected.items():
        assert table[i][j]['p_value'] == pytest.approx(res.p_value)
        assert table[i][j]['dof'] == res.dof
    # The model that over-predicts one class disagrees with the truth.
    assert table[1][1]['p_value'] < 1e-10 < table[0][0]['p_value']


def test_stuart_maxwell_tool_rejects_unpaired(dumps, tmp_path):
    good_path, _, good, _, gts = dumps
    other = write_dump(tmp_path / 'other.pkl', good[::-1], gts[::-1])
    with pytest.raises(ValueError, match='other.pkl'):
        load_tool('stuart_maxwell').main([good_path, other])


def test_confusion_matrix_tool(dumps, tmp_path):
    good_path, _, good, _, gts = dumps
    tool = load_tool('confusion_matrix')
    out = tmp_path / 'cm.png'
    tool.main([good_path, '--out', str(out), '--title', 'GLAMOR-Net'])
    assert out.stat().st_size > 0
    fig = tool.plot_confusion_matrix(
        np.array([[0.875, 0.125], [0.0, 1.0]]), ['a', 'b'], title='T')
    ax = fig.axes[0]
    assert sorted(t.get_text() for t in ax.texts) == ['0', '100', '12', '88']
    assert ax.get_title() == 'T'
    assert [t.get_text() for t in ax.get_yticklabels()] == ['a', 'b']
    import matplotlib.image
    image = matplotlib.image.imread(str(out))
    assert image.ndim == 3 and image.shape[0] > 300

    counts = np.zeros((7, 7), dtype=np.int64)
    np.add.at(counts, (gts, good), 1)
    rates = tool.confusion_rates(counts)
    np.testing.assert_allclose(rates.sum(1), 1.0)
    np.testing.assert_allclose(rates[2, 2], counts[2, 2] / (gts == 2).sum())
    with pytest.raises(ValueError, match='class names'):
        tool.main([good_path, '--out', str(out), '--classes', 'a', 'b'])


class WriteMarker:
    """Unpickling this object runs code: it writes the marker file."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return exec, (f'open({self.marker!r}, "w").write("pwned")', )


@pytest.mark.parametrize('tool', ['confusion_matrix', 'stuart_maxwell'])
def test_tools_refuse_a_crafted_dump(dumps, tmp_path, tool):
    """A dump whose payload runs code when unpickled is refused before it
    runs; ``--trust-dump`` is the opt-in."""
    good_path, _, good, _, gts = dumps
    marker = tmp_path / 'marker.txt'
    path = str(tmp_path / 'crafted.pkl')
    results = mmengine.load(good_path)
    results[0]['payload'] = WriteMarker(str(marker))
    mmengine.dump(results, path)
    args = [path, '--out', str(tmp_path / 'out.png')]
    if tool == 'stuart_maxwell':
        args = [good_path, path, '--out', str(tmp_path / 'out.json')]
    with pytest.raises(
            UntrustedCheckpointError, match=f'{path}.*--trust-dump'):
        load_tool(tool).main(args)
    assert not marker.exists()
    load_tool(tool).main(args + ['--trust-dump'])
    assert marker.read_text() == 'pwned'


def test_attention_mass_on_masks_by_hand():
    attention = np.array([[0.1, 0.2], [0.3, 0.4]])
    masks = np.zeros((3, 4, 6), bool)
    masks[0, 0, 2:4] = True  # one pixel row across cells (0, 0) and (0, 1)
    masks[1, 3, 5] = True  # cell (1, 1)
    np.testing.assert_allclose(
        attention_mass_on_masks(attention, masks), [0.3, 0.4, 0.0])
    # several maps of one image at once: one row per map
    np.testing.assert_allclose(
        attention_mass_on_masks(np.stack([attention, attention[::-1]]), masks),
        [[0.3, 0.4, 0.0], [0.7, 0.2, 0.0]])
    with pytest.raises(ValueError, match='smaller'):
        attention_mass_on_masks(attention, masks[:, :1])


def _guided_dump(tmp_path, focus):
    """A dump of 12 guided scenes whose attention sits on one cell of the
    named object (``focus='named'``), of another object ('other') or is
    uniform."""
    results = []
    for i in range(12):
        img, box = draw_guided_scene(i % 7, np.random.default_rng([3, i]))
        path = str(tmp_path / f'{i}.png')
        cv2.imwrite(path, img)
        masks, target = guided_object_masks(img, box)
        # pixels of each object in each 16x16 cell of the 5x7 map
        cells = masks.reshape(len(masks), 5, 16, 7, 16).sum(axis=(2, 4))
        attention = np.full((5, 7), 1 / 35)
        if focus != 'uniform':
            pick = target if focus == 'named' else (target + 1) % len(masks)
            alone = cells[pick] * (np.delete(cells, pick, 0).sum(0) == 0)
            assert alone.max() > 0
            attention = (alone == alone.max()) / (alone == alone.max()).sum()
        sample = DataSample(
            metainfo=dict(
                img_path=path,
                face_bbox=np.array(box, np.float32),
                img_shape=img.shape[:2],
                ori_shape=img.shape[:2]))
        sample.set_field(torch.tensor(attention), 'attention')
        results.append(sample.set_gt_label(i % 7).to_dict())
    mmengine.dump(results, tmp_path / f'{focus}.pkl')
    return str(tmp_path / f'{focus}.pkl'), results


def test_attention_on_named_object_tool(tmp_path, capsys):
    tool = load_tool('attention_on_named_object')
    named_path, named = _guided_dump(tmp_path, 'named')
    tool.main([named_path, '--out', str(tmp_path / 'named.json')])
    summary = json.load(open(tmp_path / 'named.json'))
    assert summary['samples'] == 12 and summary['hit_rate'] == 1.0
    assert summary['mass_on_named'] == pytest.approx(1.0)
    assert summary['max_mass_on_other'] == pytest.approx(0.0)
    assert '100.0 % of the scenes' in capsys.readouterr().out
    _, other = _guided_dump(tmp_path, 'other')
    summary = tool.attention_on_named_object(other, 'other.pkl')
    assert summary['hit_rate'] == 0.0 and summary['mass_on_named'] == 0.0
    _, uniform = _guided_dump(tmp_path, 'uniform')
    summary = tool.attention_on_named_object(uniform, 'uniform.pkl')
    assert summary['mass_on_named'] == pytest.approx(
        summary['uniform_mass_on_named'])
    assert 0.05 < summary['mass_on_named'] < 0.5

    with pytest.raises(ValueError, match='sample 0 has no attention'):
        tool.attention_on_named_object([{
            **named[0], 'attention': None
        }], 'x.pkl')
    with pytest.raises(ValueError, match='resized or cropped'):
        tool.attention_on_named_object([{
            **named[0], 'img_shape': (40, 56)
        }], 'x.pkl')
    toy, box = draw_toy_scene(0, np.random.default_rng(0))
    cv2.imwrite(str(tmp_path / 'toy.png'), toy)
    with pytest.raises(ValueError, match='not a guided toy scene'):
        tool.attention_on_named_object(
            [{
                **named[0], 'img_path': str(tmp_path / 'toy.png'),
                'face_bbox': np.array(box),
                'img_shape': toy.shape[:2],
                'ori_shape': toy.shape[:2]
            }], 'x.pkl')
