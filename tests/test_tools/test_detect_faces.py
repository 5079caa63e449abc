import importlib.util
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

import cv2
import mmengine
import numpy as np
import pytest

from glamor_mm.apis import TooManyFailuresError

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
    """The tool as a module; its folder is on ``sys.path`` while it loads,
    as when it runs, for its sibling ``face_detection_cli``."""
    spec = importlib.util.spec_from_file_location('detect_faces_tool', TOOL)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, osp.dirname(TOOL))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(osp.dirname(TOOL))
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


@pytest.fixture
def run_in_process(monkeypatch, capsys):
    """``run(*args) -> stdout``: the tool run in-process with the HOG
    detector (its CLI is tested above)."""
    tool = load_tool()

    def run(*args):
        monkeypatch.setattr(sys, 'argv', ['detect_faces.py', HOG_CFG] +
                            [str(a) for a in args])
        tool.main()
        return capsys.readouterr().out

    run.tool = tool
    return run


def test_detect_faces_resumes(photo_tree, tmp_path, real_photos,
                              face_region_check, monkeypatch, run_in_process):
    run, tool = run_in_process, run_in_process.tool
    out = tmp_path / 'test.json'
    partial = f'{out}.partial.jsonl'
    monkeypatch.setattr(sys, 'argv', [
        'detect_faces.py', HOG_CFG, '--data-root',
        str(photo_tree), '--split', 'test', '--out',
        str(out)
    ])
    header = tool.run_id(tool.parse_args())
    fake = dict(
        img_path='test/SAD/coffee.png',
        ori_shape=[400, 600],
        bboxes=[[1., 2., 30., 40.]],
        scores=[0.5])
    # an interrupted run: one image done, the last line cut by the kill
    with open(partial, 'w') as f:
        f.write(json.dumps(header) + '\n' + json.dumps(fake) + '\n')
        f.write('{"img_path": "test/Happy/gra')
    stdout = run('--data-root', photo_tree, '--split', 'test', '--out', out)
    assert '1 already done, detecting faces in 2' in stdout
    items = {i['img_path']: i for i in mmengine.load(out)['data_list']}
    # the recorded result was reused, not recomputed
    assert items['test/SAD/coffee.png']['face_bbox'] == [1., 2., 30., 40.]
    assert face_region_check(items['test/Happy/grace_hopper.jpg']['face_bbox'],
                             real_photos['grace_hopper']['face'])
    assert not osp.exists(partial)

    # a re-run with the same detector finds everything in --out
    stdout = run('--data-root', photo_tree, '--split', 'test', '--out', out,
                 '--select', 'area')
    assert '3 already done, detecting faces in 0' in stdout
    # results of another detector setting or data root are never mixed in
    with pytest.raises(
            ValueError,
            match=r'test.json was made by another run \(differs in '
            r'score_thr: 0.0 there, 0.5 now\).*--restart'):
        run('--data-root', photo_tree, '--split', 'test', '--out', out,
            '--score-thr', 0.5)
    with open(tmp_path / 'other.json.partial.jsonl', 'w') as f:
        f.write(json.dumps(header) + '\n')
    other_root = tmp_path / 'other_copy'
    shutil.copytree(photo_tree, other_root)
    with pytest.raises(
            ValueError,
            match=r'partial.jsonl was made by another run \(differs in '
            r'data_root: .*caer_s. there, .*other_copy. now\)'):
        run('--data-root', other_root, '--split', 'test', '--out',
            tmp_path / 'other.json')
    # --restart ignores both the partial file and --out
    stdout = run('--data-root', photo_tree, '--split', 'test', '--out', out,
                 '--score-thr', 0.5, '--restart')
    assert '0 already done, detecting faces in 3' in stdout
    items = {i['img_path']: i for i in mmengine.load(out)['data_list']}
    assert items['test/SAD/coffee.png']['face_bbox'] is None


def test_detect_faces_records_failures(photo_tree, tmp_path, run_in_process,
                                       capsys):
    """A corrupt file and an empty one do not stop the run: the file is
    written without them, they are listed with their reason, and the exit
    status is 3; a 1x1 image has no face."""
    (photo_tree / 'test/SAD/broken.png').write_bytes(b'not a png')
    (photo_tree / 'test/SAD/empty.png').write_bytes(b'')
    cv2.imwrite(
        str(photo_tree / 'test/SAD/tiny.png'), np.zeros((1, 1, 3), np.uint8))
    out = tmp_path / 'test.json'
    with pytest.raises(SystemExit) as info:
        run_in_process('--data-root', photo_tree, '--split', 'test', '--out',
                       out)
    assert info.value.code == 3
    stderr = capsys.readouterr().err
    assert stderr.startswith('2 of 6 image(s) failed and were skipped:\n'
                             '  test/SAD/broken.png: OSError: ')
    assert 'broken.png: cannot be read as an image (corrupt' in stderr
    assert ('  test/SAD/empty.png: OSError: '
            f'{photo_tree}/test/SAD/empty.png: cannot be read as an image '
            '(empty file).\n') in stderr
    ann = mmengine.load(out)
    failed = {f['img_path']: f['error'] for f in ann['metainfo']['failed']}
    items = {i['img_path']: i for i in ann['data_list']}
    assert sorted(failed) == ['test/SAD/broken.png', 'test/SAD/empty.png']
    assert items['test/SAD/tiny.png']['face_bbox'] is None
    assert {
        'test/Happy/grace_hopper.jpg', 'test/SAD/coffee.png',
        'test/neutral/astronaut.png'
    } <= set(items)
    assert items['test/Happy/grace_hopper.jpg']['ori_shape'] == [600, 512]
    assert ann['metainfo']['face_detection']['data_root'] == str(photo_tree)
    # a re-run tries the failed images again, and only them
    with pytest.raises(SystemExit):
        run_in_process('--data-root', photo_tree, '--split', 'test', '--out',
                       out)
    assert 'detecting faces in 2\n' in capsys.readouterr().out


def test_broken_detector_stops_the_run(photo_tree, tmp_path, monkeypatch,
                                       capsys):
    """A detector that fails on every image stops the run after
    --max-consecutive-failures images; no annotation file is written, and
    the failures stay in the partial file to be tried again."""
    config = tmp_path / 'broken_hog.py'
    config.write_text(f"_base_ = [r'{HOG_CFG}']\n"
                      'model = dict(data_preprocessor=dict('
                      'pad_size_divisor=0))\n')
    tool = load_tool()
    out = tmp_path / 'test.json'
    args = [
        'detect_faces.py',
        str(config), '--data-root',
        str(photo_tree), '--split', 'test', '--out',
        str(out)
    ]
    monkeypatch.setattr(sys, 'argv',
                        args + ['--max-consecutive-failures', '2'])
    with pytest.raises(
            TooManyFailuresError,
            match=r'(?s)Stopped: 2 image\(s\) in a row failed.*:\n'
            r'  test/Happy/grace_hopper.jpg: ZeroDivisionError: '):
        tool.main()
    assert not out.exists()
    with open(f'{out}.partial.jsonl') as f:
        assert len(f.read().splitlines()) == 1 + 2
    # without a limit, every image is tried, and all are reported
    monkeypatch.setattr(sys, 'argv',
                        args + ['--max-consecutive-failures', '0'])
    with pytest.raises(SystemExit) as info:
        tool.main()
    assert info.value.code == 3
    assert '3 of 3 image(s) failed' in capsys.readouterr().err
    assert mmengine.load(out)['data_list'] == []


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


def test_detected_annotations_train_one_epoch(tmp_path, real_photos):
    """Detect on generated data, then train one epoch from the written file.

    The built-in toy scenes have cartoon faces that dlib does not detect, so
    the generated split is made of the real photos (flipped, rescaled,
    brightened): two images per class plus a faceless one.
    """
    import cv2
    root = tmp_path / 'photos'
    grace = real_photos['grace_hopper']['img']
    astronaut = real_photos['astronaut']['img']
    variants = [
        cv2.resize(grace, None, fx=0.5, fy=0.5), astronaut,
        cv2.flip(astronaut, 1),
        cv2.convertScaleAbs(
            cv2.resize(grace, None, fx=0.6, fy=0.6), alpha=1.2)
    ]
    classes = ('Anger', 'Disgust', 'Fear', 'Happy', 'Neutral', 'Sad',
               'Surprise')
    for i, cls in enumerate(classes):
        (root / 'train' / cls).mkdir(parents=True)
        for j in range(2):
            cv2.imwrite(
                str(root / 'train' / cls / f'{j}.png'),
                variants[(i + j) % len(variants)])
    cv2.imwrite(
        str(root / 'train' / 'Sad' / 'coffee.png'),
        real_photos['coffee']['img'][::2, ::2])
    ann = root / 'train_faces.json'
    run_tool('--data-root', root, '--split', 'train', '--out', ann)
    data_list = mmengine.load(ann)['data_list']
    assert len(data_list) == 15
    assert sum(item['face_bbox'] is None for item in data_list) == 1

    config = tmp_path / 'train_from_detections.py'
    base = osp.join(ROOT, 'configs', 'glamor',
                    'glamor_original_1xb32-12e_toy.py')
    split = (f"dict(_delete_=True, type='EmotionAnnotationDataset', "
             f"data_root=r'{root}', ann_file='train_faces.json', "
             '{pipeline})')
    config.write_text(f"""_base_ = [r'{base}']
train_dataloader = dict(batch_size=5, num_workers=0, persistent_workers=False,
    dataset={split.format(pipeline='pipeline={{_base_.train_pipeline}}')})
val_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False,
    dataset={split.format(pipeline='pipeline={{_base_.test_pipeline}}')})
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=1, val_interval=1)
default_hooks = dict(logger=dict(interval=1))
""")
    work_dir = tmp_path / 'work'
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.run([
        sys.executable,
        osp.join(ROOT, 'tools', 'train.py'),
        str(config), '--work-dir',
        str(work_dir)
    ],
                          capture_output=True,
                          text=True,
                          env=env,
                          cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert osp.isfile(work_dir / 'epoch_1.pth')
    assert 'accuracy/top1' in proc.stdout + proc.stderr
