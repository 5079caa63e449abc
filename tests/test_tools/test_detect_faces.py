import importlib.util
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

import mmengine
import pytest

pytest.importorskip('dlib')

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
TOOL = osp.join(ROOT, 'tools', 'detect_faces.py')
HOG_CFG = osp.join(ROOT, 'configs', 'face_detectors', 'dlib_hog.py')


def run_tool(*args, check=True):
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.run([sys.executable, TOOL, HOG_CFG, *map(str, args)],
                          capture_output=True,
                          text=True,
                          env=env,
                          cwd=ROOT)
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def load_tool():
    spec = importlib.util.spec_from_file_location('detect_faces_tool', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def photo_tree(tmp_path, real_photos):
    """A CAER-S layout split with the three real photos."""
    root = tmp_path / 'caer_s'
    for cls, name in [('Happy', 'grace_hopper'), ('neutral', 'astronaut'),
                      ('SAD', 'coffee')]:
        src = real_photos[name]['path']
        dst = root / 'test' / cls / osp.basename(src)
        dst.parent.mkdir(parents=True)
        shutil.copy(src, dst)
    return root


def test_detect_faces_writes_annotation_file(photo_tree, tmp_path, real_photos,
                                             face_region_check):
    out = tmp_path / 'ann' / 'test.json'
    proc = run_tool('--data-root', photo_tree, '--layout', 'caers', '--split',
                    'test', '--out', out, '--workers', 2)
    assert '1 without a face' in proc.stdout
    ann = mmengine.load(out)
    assert ann['metainfo']['classes'][3] == 'Happy'
    items = {
        osp.basename(i['img_path']).split('.')[0]: i
        for i in ann['data_list']
    }
    assert [i['img_path'] for i in ann['data_list']] == [
        'test/Happy/grace_hopper.jpg', 'test/SAD/coffee.png',
        'test/neutral/astronaut.png'
    ]
    assert [
        items[n]['gt_label'] for n in ('grace_hopper', 'astronaut', 'coffee')
    ] == [3, 4, 5]
    for name in ('grace_hopper', 'astronaut'):
        item = items[name]
        assert len(item['face_det_bboxes']) == 1, item
        assert item['face_bbox'] == item['face_det_bboxes'][0]
        assert face_region_check(item['face_bbox'], real_photos[name]['face'])
    assert items['coffee']['face_bbox'] is None
    assert items['coffee']['face_det_bboxes'] == []
    assert not osp.exists(f'{out}.partial.jsonl')

    # the file is what EmotionAnnotationDataset reads
    from glamor_mm.datasets.emotion_annotation_dataset import \
        EmotionAnnotationDataset
    dataset = EmotionAnnotationDataset(
        ann_file=str(out), data_prefix=str(photo_tree))
    info = dataset.get_data_info(0)
    assert info['img_path'] == str(photo_tree / 'test/Happy/grace_hopper.jpg')
    assert info['face_bbox'] == items['grace_hopper']['face_bbox']
    assert dataset.get_data_info(1)['face_bbox'] is None


def test_detect_faces_resumes(photo_tree, tmp_path, real_photos,
                              face_region_check):
    out = tmp_path / 'test.json'
    partial = f'{out}.partial.jsonl'
    header = dict(config='dlib_hog.py', checkpoint=None, score_thr=0.)
    fake = dict(
        img_path='test/SAD/coffee.png',
        bboxes=[[1., 2., 30., 40.]],
        scores=[0.5])
    # an interrupted run: one image done, the last line cut by the kill
    with open(partial, 'w') as f:
        f.write(json.dumps(header) + '\n' + json.dumps(fake) + '\n')
        f.write('{"img_path": "test/Happy/gra')
    proc = run_tool('--data-root', photo_tree, '--split', 'test', '--out', out)
    assert '1 already done, detecting faces in 2' in proc.stdout
    items = {i['img_path']: i for i in mmengine.load(out)['data_list']}
    # the recorded result was reused, not recomputed
    assert items['test/SAD/coffee.png']['face_bbox'] == [1., 2., 30., 40.]
    assert face_region_check(items['test/Happy/grace_hopper.jpg']['face_bbox'],
                             real_photos['grace_hopper']['face'])
    assert not osp.exists(partial)

    # a re-run with the same detector finds everything in --out
    proc = run_tool('--data-root', photo_tree, '--split', 'test', '--out', out,
                    '--select', 'area')
    assert '3 already done, detecting faces in 0' in proc.stdout
    # results of another detector setting are never mixed in
    with open(partial, 'w') as f:
        f.write(json.dumps(header) + '\n')
    proc = run_tool(
        '--data-root',
        photo_tree,
        '--split',
        'test',
        '--out',
        out,
        '--score-thr',
        0.5,
        check=False)
    assert proc.returncode != 0
    assert 'was made by another detector' in proc.stderr
    assert '--restart' in proc.stderr


def test_layouts(tmp_path):
    tool = load_tool()
    for rel in ('images/val/Angry/a.jpg', 'images/val/surprised/b.jpg',
                'flat/Fear/c.png', 'flat/Fear/notes.txt'):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b'')
    assert tool.scan_images(str(tmp_path), 'ncaers',
                            'val') == [('images/val/Angry/a.jpg', 0),
                                       ('images/val/surprised/b.jpg', 6)]
    assert tool.scan_images(str(tmp_path / 'flat'), 'folder',
                            'x') == [('Fear/c.png', 2)]
    (tmp_path / 'flat' / 'Bored').mkdir()
    with pytest.raises(ValueError, match='Bored'):
        tool.scan_images(str(tmp_path / 'flat'), 'folder', '')
