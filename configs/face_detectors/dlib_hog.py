# dlib's HOG frontal face detector as an MMDet model (the default face
# detector: no weights file, ~25 ms per 712x400 image on one CPU core).
# Use it like any MMDet config:
#   model = mmdet.apis.init_detector('configs/face_detectors/dlib_hog.py',
#                                    device='cpu')
#   result = mmdet.apis.inference_detector(model, 'photo.jpg')
default_scope = 'mmdet'
custom_imports = dict(
    imports=['glamor_mm.models.detectors'], allow_failed_imports=False)

model = dict(
    type='DlibHOGFaceDetector',
    upsample=0,  # 1 finds faces down to ~40 px, 4x slower
    adjust_threshold=0.,
    score_thr=0.,
    backbone=dict(),  # read by mmdet.apis.init_detector; dlib has its own
    # raw RGB pixels: dlib does its own normalisation
    data_preprocessor=dict(type='DetDataPreprocessor', bgr_to_rgb=True))

# No Resize: dlib's smallest face is ~80 px at upsample=0, so shrinking
# images loses faces. A Resize may be added; boxes are mapped back to the
# original image through `scale_factor`.
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor')),
]

# Evaluation on WIDER FACE (PASCAL VOC format annotations), like MMDet's
# configs/_base_/datasets/wider_face.py.
test_dataloader = dict(
    batch_size=1,
    num_workers=0,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='WIDERFaceDataset',
        data_root='data/WIDERFace/',
        ann_file='val.txt',
        data_prefix=dict(img='WIDER_val'),
        test_mode=True,
        pipeline=test_pipeline))
test_evaluator = dict(type='VOCMetric', metric='mAP', eval_mode='11points')
test_cfg = dict(type='TestLoop')

# Used by MMDet's DetInferencer / tools to draw the boxes.
visualizer = dict(
    type='DetLocalVisualizer',
    vis_backends=[dict(type='LocalVisBackend')],
    name='visualizer')
