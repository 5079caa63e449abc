import contextlib
import copy
import os.path as osp
import tracemalloc

import cv2
import mmcv
import numpy as np
import pytest
import torch
from mmengine.registry import DefaultScope
from mmpretrain.registry import TRANSFORMS

from glamor_mm.apis import GlamorInferencer, detect_faces, read_video_frames


ROOT = osp.join(osp.dirname(__file__), '..', '..')
MODEL_CFG = osp.join(ROOT, 'configs/glamor/glamor_original_1xb32-12e_toy.py')
HOG_CFG = osp.join(ROOT, 'configs/face_detectors/dlib_hog.py')


@pytest.fixture(scope='module')
def inferencer():
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        inferencer = GlamorInferencer(MODEL_CFG, detector=HOG_CFG)
        # building the detector did not change the classifier's scope
        assert DefaultScope.get_current_instance().scope_name == 'mmpretrain'
    return inferencer


@pytest.fixture(scope='module')
def two_faces(real_photos):
    img = real_photos['grace_hopper']['img']
    return np.ascontiguousarray(np.concatenate([img, img], axis=1))


def manual_prediction(inferencer, img, box, all_boxes):
    """One full model pass for one face, context with all faces masked."""
    build = TRANSFORMS.build
    face = build(dict(type='CropFace',
                      scale=(96, 96)))(dict(img=img,
                                            face_bbox=box))['face_img']
    context = dict(img=img, face_bbox=all_boxes)
    for t in (dict(type='MaskFace'), dict(type='Resize', scale=(171, 128)),
              dict(type='CenterCrop', crop_size=112)):
        context = build(t)(context)
    packed = build(dict(type='PackTwoViewInputs'))(
        dict(img=context['img'], face_img=face))
    data = inferencer.model.data_preprocessor(
        dict(inputs={
            k: [v]
            for k, v in packed['inputs'].items()
        }))
    with torch.no_grad():
        return inferencer.model.predict(data['inputs'])[0], context['img']


def test_each_face_equals_a_full_pass_with_all_faces_masked(
        inferencer, two_faces):
    boxes, _ = detect_faces(inferencer.detector, two_faces)[0]
    assert len(boxes) == 2
    picture = inferencer.prepare(two_faces)
    faces = inferencer([two_faces], return_datasamples=True)[0]
    assert len(faces) == 2
    for k, face in enumerate(faces):
        ref, ref_context = manual_prediction(inferencer, two_faces, boxes[k],
                                             boxes)
        np.testing.assert_array_equal(picture['context_view'], ref_context)
        torch.testing.assert_close(face.pred_score, ref.pred_score)
        torch.testing.assert_close(face.attention, ref.attention)
        torch.testing.assert_close(face.fusion_weights, ref.fusion_weights)
        np.testing.assert_array_equal(face.metainfo['face_bbox'], boxes[k])
    # both face regions are zeroed in the one shared context view
    assert (picture['context_view'].reshape(-1, 3).sum(1) == 0).mean() > 0.1


@contextlib.contextmanager
def backbone_calls(model):
    """The batch size of each call of the face and the context backbone,
    recorded by forward hooks."""
    calls = dict(context=[], face=[])
    hooks = [
        getattr(model, f'{view}_backbone').register_forward_hook(
            lambda m, args, out, view=view: calls[view].append(args[0].shape[
                0])) for view in calls
    ]
    try:
        yield calls
    finally:
        for hook in hooks:
            hook.remove()


def test_one_context_pass_per_picture(inferencer, two_faces, real_photos):
    with backbone_calls(inferencer.model) as calls:
        inferencer([two_faces, real_photos['grace_hopper']['path']])
    assert calls['context'] == [1, 1]  # one pass per picture
    assert calls['face'] == [2, 1]  # all faces of a picture in one batch


def assert_same_faces(results, expected):
    """The same faces, classes, scores, attention and fusion weights."""
    assert len(results) == len(expected)
    for picture, ref_picture in zip(results, expected):
        assert len(picture['faces']) == len(ref_picture['faces'])
        for face, ref in zip(picture['faces'], ref_picture['faces']):
            assert face['bbox'] == ref['bbox']
            assert face['pred_class'] == ref['pred_class']
            for key in ('pred_scores', 'attention', 'fusion_weights'):
                np.testing.assert_allclose(face[key], ref[key], atol=1e-5)


def _picture_folder(tmp_path, real_photos, two_faces):
    """Five pictures: two faces, a corrupt file, coffee, one face each."""
    folder = tmp_path / 'photos'
    folder.mkdir()
    cv2.imwrite(str(folder / 'a_two.png'), two_faces)
    (folder / 'b_corrupt.jpg').write_bytes(b'\xff\xd8 not a jpeg')
    for name, photo in (('c', 'coffee'), ('d', 'astronaut'),
                        ('e', 'grace_hopper')):
        cv2.imwrite(str(folder / f'{name}.png'), real_photos[photo]['img'])
    return folder


def test_batch_size_runs_the_model_once_per_chunk(inferencer, two_faces,
                                                  real_photos, tmp_path):
    """batch_size=4 gives the results of batch_size=1 with one model call
    per chunk of 4 pictures (each context encoded once); the corrupt
    picture of the first chunk is skipped and reported."""
    folder = _picture_folder(tmp_path, real_photos, two_faces)
    with backbone_calls(inferencer.model) as single:
        ones = inferencer(str(folder), batch_size=1)
    with backbone_calls(inferencer.model) as calls:
        fours = inferencer(str(folder), batch_size=4)
    num_faces = [len(r['faces']) for r in ones]
    assert num_faces[:2] == [2, 0] and num_faces[3:] == [1, 1]
    assert single['context'] == [1] * sum(n > 0 for n in num_faces)
    # chunk 1 (a, b, c, d), chunk 2 (e): one call each
    assert calls['context'] == [sum(n > 0 for n in num_faces[:4]), 1]
    assert calls['face'] == [sum(num_faces[:4]), 1]
    assert [r['error'] for r in fours] == [r['error'] for r in ones]
    assert 'b_corrupt.jpg: cannot be read' in fours[1]['error']
    assert_same_faces(fours, ones)
    assert [r['img_path'] for r in fours] == [r['img_path'] for r in ones]


def test_model_failure_in_a_chunk_is_the_pictures(inferencer, two_faces,
                                                  real_photos, tmp_path):
    """When the chunk's model call fails, each picture is tried alone: the
    one the model fails on is skipped with its error, the others get their
    results."""
    folder = _picture_folder(tmp_path, real_photos, two_faces)
    expected = inferencer(str(folder))

    def fail_on_two_faces(module, args):
        if args[0].shape[0] >= 2:
            raise ValueError('injected failure on 2 faces')

    hook = inferencer.model.face_backbone.register_forward_pre_hook(
        fail_on_two_faces)
    try:
        results = inferencer(str(folder), batch_size=4)
    finally:
        hook.remove()
    assert results[0]['error'] == 'ValueError: injected failure on 2 faces'
    assert results[0]['faces'] == []
    assert 'cannot be read' in results[1]['error']
    assert [r['error'] for r in results[2:]] == [None] * 3
    assert_same_faces(results[2:], expected[2:])


def test_onnxruntime_backend_equals_pytorch(inferencer, two_faces, real_photos,
                                            tmp_path):
    """The exported model under ONNX Runtime: same faces, same predictions
    (one context pass per picture is in the graph's shared-context input)."""
    from glamor_mm.deployment import export_onnx, pipeline_view_shapes
    onnx_file = str(tmp_path / 'model.onnx')
    export_onnx(
        inferencer.model,
        onnx_file,
        *pipeline_view_shapes(inferencer.config),
        classes=inferencer.classes)
    runtime = GlamorInferencer(
        MODEL_CFG, onnx_file, detector=HOG_CFG, backend='onnxruntime')
    assert runtime.classes == inferencer.classes
    # one picture; a batch of pictures with 2, 0 and 1 faces (one graph
    # call per picture), and a batch with one face per picture (one call)
    photos = [real_photos[name]['img'] for name in ('coffee', 'astronaut')]
    for pictures, batch_size in (([two_faces], 1),
                                 ([two_faces, *photos], 3),
                                 (photos[1:] * 2, 2)):
        expected = inferencer(pictures)
        got = runtime(pictures, batch_size=batch_size)
        assert len(got[0]['faces']) > 0
        assert_same_faces(got, expected)
    with pytest.raises(ValueError, match='needs the exported .onnx'):
        GlamorInferencer(MODEL_CFG, detector=HOG_CFG, backend='onnxruntime')
    with pytest.raises(ValueError, match='7 scores, but 5 class names'):
        GlamorInferencer(
            MODEL_CFG,
            onnx_file,
            detector=HOG_CFG,
            backend='onnxruntime',
            classes=inferencer.classes[:5])


def test_results_inputs_and_visualisation(inferencer, real_photos, tmp_path,
                                          face_region_check):
    folder = tmp_path / 'photos'
    folder.mkdir()
    for name in ('astronaut', 'coffee'):
        cv2.imwrite(str(folder / f'{name}.png'), real_photos[name]['img'])
    results = inferencer(str(folder), show_dir=str(tmp_path / 'vis'))
    assert [osp.basename(r['img_path'])
            for r in results] == ['astronaut.png', 'coffee.png']
    face, = results[0]['faces']
    assert results[1]['faces'] == []  # no face: nothing to classify
    assert face_region_check(face['bbox'], real_photos['astronaut']['face'])
    # the plain dict holds the model's own prediction for that face
    img = real_photos['astronaut']['img']
    ref, _ = manual_prediction(inferencer, img, face['bbox'], [face['bbox']])
    np.testing.assert_allclose(
        face['pred_scores'], ref.pred_score.numpy(), rtol=1e-5, atol=1e-6)
    assert face['pred_label'] == int(ref.pred_label)
    assert face['pred_class'] == inferencer.classes[face['pred_label']]
    assert face['pred_score'] == pytest.approx(face['pred_scores'].max())
    assert face['attention'].shape == (7, 7)
    np.testing.assert_allclose(
        face['attention'], ref.attention.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        face['fusion_weights'], ref.fusion_weights.numpy(), rtol=1e-5)
    drawing = mmcv.imread(str(tmp_path / 'vis' / 'astronaut.png'))
    # the picture plus a row with the face's attention tile
    assert drawing.shape[0] > 512 and drawing.shape[1] == 512
    np.testing.assert_array_equal(drawing[..., ::-1],
                                  results[0]['visualization'])
    assert osp.isfile(tmp_path / 'vis' / 'coffee.png')


def write_video(path, img, num_frames, fourcc='MJPG'):
    """A video of ``img`` moving right by 8 pixels a frame."""
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*fourcc), 5,
                             (img.shape[1], img.shape[0]))
    assert writer.isOpened()
    for i in range(num_frames):
        shift = 8 * i % img.shape[1]
        frame = np.zeros_like(img)
        frame[:, shift:] = img[:, :img.shape[1] - shift]
        writer.write(frame)
    writer.release()
    return path


def test_video_input(inferencer, real_photos, tmp_path):
    path = write_video(
        str(tmp_path / 'clip.avi'), real_photos['astronaut']['img'], 3)
    results = inferencer(path)
    assert not isinstance(results, list)  # a generator: frames are streamed
    results = list(results)
    assert len(results) == 3
    # MJPG artefacts may add a weak false detection (score < 0.1) lower down
    confident = [[f for f in r['faces'] if f['det_score'] > 0.5]
                 for r in results]
    assert [len(faces) for faces in confident] == [1, 1, 1]
    xs = [faces[0]['bbox'][0] for faces in confident]
    assert xs[0] < xs[1] < xs[2]  # the face moves right


def test_frames_are_streamed(inferencer, real_photos):
    """A generator in gives a generator out: the first result comes after
    one frame was read, not after the whole video."""
    img = real_photos['astronaut']['img']
    produced = []

    def frames():
        for i in range(3):
            produced.append(i)
            yield img

    results = inferencer(frames())
    first = next(results)
    assert len(first['faces']) == 1
    assert produced == [0]
    assert len(list(results)) == 2 and produced == [0, 1, 2]


def test_video_memory_does_not_grow_with_length(inferencer, tmp_path):
    """Peak Python-allocated memory (NumPy frames included) of a 30-frame
    video stays within that of a 3-frame one (the old code held every
    decoded frame: 30 x 0.75 MB here)."""
    img = np.random.default_rng(0).integers(0, 255, (512, 512, 3), np.uint8)
    peaks = {}
    for n in (3, 30):
        path = write_video(str(tmp_path / f'{n}.avi'), img, n)
        tracemalloc.start()
        count = sum(1 for _ in inferencer(path))
        peaks[n] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert count == n
    print(peaks)
    assert peaks[30] < peaks[3] + 5 * img.nbytes, peaks


def test_overstated_or_truncated_video_warns(inferencer, real_photos, tmp_path,
                                             overstated_video):
    """A complete video whose header over-states its length, or a cut one,
    gives all its frames and a warning naming the file; strict=True (the
    face-track tool) raises after the last frame."""
    path = write_video(
        str(tmp_path / 'clip.avi'), real_photos['astronaut']['img'], 4)
    overstated_video(path, 9)
    assert cv2.VideoCapture(path).get(cv2.CAP_PROP_FRAME_COUNT) == 9
    with pytest.warns(RuntimeWarning, match=r'clip\.avi.*4 of the 9 frames'):
        results = list(inferencer(path))
    assert [len(r['faces']) > 0 for r in results] == [True] * 4
    with pytest.raises(OSError, match=r'clip\.avi.*4 of the 9 frames'):
        list(read_video_frames(path, strict=True))
    data = open(path, 'rb').read()
    cut = tmp_path / 'cut.avi'
    cut.write_bytes(data[:len(data) // 2])
    with pytest.warns(RuntimeWarning, match=r'cut\.avi.*of the 9 frames'):
        assert 0 < len(list(inferencer(str(cut)))) < 4


def test_unreadable_video_is_an_error(inferencer, tmp_path, overstated_video):
    """Only a video of which nothing decodes fails."""
    header_only = tmp_path / 'empty.avi'
    writer = cv2.VideoWriter(
        str(header_only), cv2.VideoWriter_fourcc(*'MJPG'), 5, (64, 48))
    writer.release()
    overstated_video(str(header_only), 5)
    with pytest.raises(OSError):
        list(inferencer(str(header_only)))
    not_video = tmp_path / 'not_video.mp4'
    not_video.write_bytes(b'not a video' * 100)
    with pytest.raises(OSError, match='not_video.mp4.*cannot be opened'):
        inferencer(str(not_video))


def test_unreadable_picture_is_skipped_and_reported(inferencer, real_photos,
                                                    tmp_path):
    folder = tmp_path / 'photos'
    folder.mkdir()
    img = real_photos['astronaut']['img']
    cv2.imwrite(str(folder / 'a.png'), img)
    (folder / 'b_corrupt.jpg').write_bytes(b'\xff\xd8 not a jpeg')
    # same stem, two files: two drawings
    cv2.imwrite(str(folder / 'photo.jpg'), img)
    cv2.imwrite(str(folder / 'photo.png'), np.ascontiguousarray(img[:, ::-1]))
    vis = tmp_path / 'vis'
    results = inferencer(str(folder), show_dir=str(vis))
    assert [osp.basename(r['img_path']) for r in results
            ] == ['a.png', 'b_corrupt.jpg', 'photo.jpg', 'photo.png']
    # JPEG artefacts may add a weak false detection (score < 0.1)
    faces = [[f for f in r['faces'] if f['det_score'] > 0.5] for r in results]
    assert [len(f) for f in faces] == [1, 0, 1, 1]
    assert [r['error'] is None for r in results] == [True, False, True, True]
    assert 'b_corrupt.jpg: cannot be read' in results[1]['error']
    assert sorted(
        p.name for p in vis.iterdir()) == ['a.png', 'photo.jpg', 'photo.png']
    # the two drawings are of the two pictures (one is mirrored)
    x_jpg = faces[2][0]['bbox'][0]
    x_png = faces[3][0]['bbox'][2]
    assert x_png == pytest.approx(img.shape[1] - x_jpg, abs=8)
    # one picture given alone: an error, nothing to keep
    with pytest.raises(OSError, match='b_corrupt.jpg: cannot be read'):
        inferencer(str(folder / 'b_corrupt.jpg'))
    with pytest.raises(ValueError, match='would overwrite'):
        inferencer(str(folder / 'a.png'), show_dir=str(folder))


def test_empty_tiny_and_malformed_pictures_do_not_stop_the_run(
        inferencer, real_photos, tmp_path):
    """A 0-byte file and a bad array are skipped with their reason; a 1x1
    picture has no face; the pictures after them get their results."""
    folder = tmp_path / 'photos'
    folder.mkdir()
    img = real_photos['astronaut']['img']
    (folder / 'a_empty.png').write_bytes(b'')
    cv2.imwrite(str(folder / 'b_tiny.png'), img[:1, :1])
    cv2.imwrite(str(folder / 'c.png'), img)
    results = inferencer(str(folder))
    assert [osp.basename(r['img_path'])
            for r in results] == ['a_empty.png', 'b_tiny.png', 'c.png']
    assert results[0]['error'] == (
        f'OSError: {folder}/a_empty.png: cannot be read as an image '
        '(empty file).')
    assert results[1]['error'] is None and results[1]['faces'] == []
    assert results[2]['error'] is None and len(results[2]['faces']) == 1
    # a failure in processing (a grey array), in a list; failures between
    # successes never add up to a stop
    gray = np.zeros((40, 40), np.uint8)
    results = inferencer([gray, img, gray, img], max_consecutive_failures=2)
    assert [r['error'] for r in results[:2]] == [
        'ValueError: a picture given as an array must be BGR of shape '
        '(H, W, 3), got (40, 40).', None
    ]
    assert results[0]['img_path'] is None and results[0]['faces'] == []
    assert [len(r['faces']) for r in results] == [0, 1, 0, 1]
    np.testing.assert_array_equal(results[1]['faces'][0]['pred_scores'],
                                  results[3]['faces'][0]['pred_scores'])
    # given alone, a picture that cannot be read is an error
    with pytest.raises(OSError, match=r'a_empty.png: .*\(empty file\)'):
        inferencer(str(folder / 'a_empty.png'))


def test_broken_detector_stops_the_run(real_photos, tmp_path):
    """A detector that fails on every picture stops the run after
    max_consecutive_failures pictures, with the error as the cause."""
    from mmengine.config import Config

    from glamor_mm.apis import TooManyFailuresError
    folder = tmp_path / 'photos'
    folder.mkdir()
    for i in range(3):
        cv2.imwrite(str(folder / f'{i}.png'), real_photos['astronaut']['img'])
    cfg = Config.fromfile(HOG_CFG)
    cfg.model.data_preprocessor.pad_size_divisor = 0  # divides by zero
    broken = GlamorInferencer(MODEL_CFG, detector=cfg)
    with pytest.raises(
            TooManyFailuresError,
            match=r'Stopped: 2 picture\(s\) in a row failed(?s:.*)'
            r'1.png: ZeroDivisionError') as info:
        broken(str(folder), max_consecutive_failures=2)
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    results = broken(str(folder), max_consecutive_failures=0)
    assert [r['error'].split(':')[0]
            for r in results] == ['ZeroDivisionError'] * 3


def test_drawing_names_of_arrays_and_files_never_collide(
        inferencer, real_photos, tmp_path):
    """A frame array and a file named 000000.png get two drawings."""
    folder = tmp_path / 'photos'
    folder.mkdir()
    img = real_photos['astronaut']['img']
    mirrored = np.ascontiguousarray(img[:, ::-1])
    cv2.imwrite(str(folder / '000000.png'), mirrored)
    vis = tmp_path / 'vis'
    results = inferencer([img, str(folder / '000000.png'), mirrored],
                         show_dir=str(vis))
    names = ['000000.png', '000000_1.png', '000001.png']
    assert sorted(p.name for p in vis.iterdir()) == names
    for name, result in zip(names, results):
        np.testing.assert_array_equal(
            cv2.imread(str(vis / name))[..., ::-1], result['visualization'])
    assert not np.array_equal(results[0]['visualization'],
                              results[1]['visualization'])


def test_drawing_names_in_any_order():
    from glamor_mm.apis.glamor_inferencer import DrawingNames
    frame = np.zeros((4, 4, 3), np.uint8)
    names = DrawingNames()
    got = [
        names(p)
        for p in ('a/000001.png', frame, frame, 'b/000001.png',
                  'c/000001_1.png', 'd/0000001.png', frame, 'e/000002.png')
    ]
    assert got == [
        '000001.png', '000000.png', '000001_1.png', '000001_2.png',
        '000001_1_1.png', '0000001.png', '000002.png', '000002_1.png'
    ]
    assert len(set(got)) == len(got)
    # a stream of frames keeps nothing per frame
    assert len(names.used) == 6


def test_pipeline_split_by_transform_class(inferencer, two_faces):
    """Scoped type names ('mmpretrain.CropFace') split the same way."""
    cfg = copy.deepcopy(inferencer.config)
    for t in cfg.test_dataloader.dataset.pipeline:
        if '.' not in t['type']:
            t['type'] = 'mmpretrain.' + t['type']
    reference = inferencer.prepare(two_faces)
    scoped = copy.copy(inferencer)
    scoped.pipeline = scoped._init_pipeline(cfg)
    picture = scoped.prepare(two_faces)
    np.testing.assert_array_equal(picture['context_view'],
                                  reference['context_view'])
    for a, b in zip(picture['inputs']['face'], reference['inputs']['face']):
        torch.testing.assert_close(a, b)
    assert [type(t).__name__
            for t in scoped.face_pipeline.transforms] == ['CropFace']


def test_rejects_a_model_without_predict_faces(tmp_path):
    from mmengine.config import Config
    cfg = Config.fromfile(MODEL_CFG)
    cfg.model = dict(
        type='ImageClassifier',
        backbone=dict(type='ResNet', depth=18),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=7, in_channels=512),
        data_preprocessor=dict(type='ClsDataPreprocessor'))
    with pytest.raises(TypeError, match='predict_faces'):
        GlamorInferencer(cfg, detector=HOG_CFG)
