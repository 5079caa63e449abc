# A plain one-class MMDet RetinaNet for WIDER FACE: any MMDet detector with
# the single class 'face' can be used as the face detector. Train it with
# MMDet's tools or pass your own checkpoint:
#   python tools/detect_faces.py \
#       configs/face_detectors/retinanet_r50_fpn_widerface.py CKPT ...
_base_ = [
    'mmdet::_base_/models/retinanet_r50_fpn.py',
    'mmdet::_base_/datasets/wider_face.py',
    'mmdet::_base_/schedules/schedule_1x.py',
    'mmdet::_base_/default_runtime.py',
]
custom_imports = dict(
    imports=['glamor_mm.models.detectors'], allow_failed_imports=False)

model = dict(bbox_head=dict(num_classes=1))
optim_wrapper = dict(optimizer=dict(lr=0.01))
