# The GLAMOR-Net authors' TensorFlow model (github.com/minhnhatvt/glamor-net,
# model.py), for running their trained NCAER-S weights
# (weights/glamor-net/Model) converted with
#   python tools/model_converters/glamor_tf_to_mmpretrain.py \
#       glamor-net/weights/glamor-net/Model checkpoints/glamor-net_tf.pth
# The converted weights give their outputs with:
# - Keras' BatchNormalization defaults, eps 1e-3 and momentum 0.99 (PyTorch's
#   momentum 0.01), in both encoders and in the GLA scorer's BN (whose
#   FC(128) + ReLU -> BN -> ReLU -> FC(1) is the _base_'s neck);
# - their inputs (predict.py / data_utils.py): RGB scaled to [0, 1], no
#   mean/std.
_base_ = './glamor_original_1xb32-60e_ncaers.py'

keras_bn = dict(type='BN', eps=1e-3, momentum=0.01)
model = dict(
    face_backbone=dict(norm_cfg=keras_bn),
    context_backbone=dict(norm_cfg=keras_bn),
    neck=dict(norm_cfg=dict(type='BN1d', eps=1e-3, momentum=0.01)))

data_preprocessor = dict(
    face_mean=[0., 0., 0.],
    face_std=[255., 255., 255.],
    context_mean=[0., 0., 0.],
    context_std=[255., 255., 255.])

# Their test-time preprocessing, in float32 as TF resizes (`to_float32`:
# no rounding to uint8 after each resize):
# - face: the box clipped to the image, bilinearly resized to 96x96
#   (tf.image.resize: half-pixel centres, no antialiasing, as cv2's
#   bilinear);
# - context: the face box zeroed, JPEG-encoded and decoded at quality 95
#   (tf.image.encode_jpeg / decode_jpeg; see MaskFace for how OpenCV's
#   decoding differs from TF's), resized to 128x171 (HxW), rows 8..119 and
#   columns 29..140. mmcv's CenterCrop rounds the 29.5-column
#   offset to 30, so the crop is done in two steps: 171 -> 170 columns
#   (offset round(0.5) = 0) and then 170x128 -> 112x112 (offsets 29 and 8).
test_pipeline = [
    dict(type='WuffsLoadImageFromFile', to_float32=True),
    dict(type='CropFace', scale=(96, 96), missing_face='zeros'),
    dict(type='MaskFace', jpeg_quality=95),
    dict(type='Resize', scale=(171, 128)),
    dict(type='CenterCrop', crop_size=(170, 128)),
    dict(type='CenterCrop', crop_size=112),
    dict(type='PackTwoViewInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
