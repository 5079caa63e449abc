# dlib's CNN (MMOD) face detector, the detector used by the GLAMOR-Net and
# CAER-Net authors (~2.3 s per 712x400 image on one CPU core at upsample 0).
# Weights: `mmod_human_face_detector.dat` from the optional PyPI package
# `face_recognition_models` (found automatically), or set `weights=`.
_base_ = './dlib_hog.py'

model = dict(
    _delete_=True,
    type='DlibCNNFaceDetector',
    weights=None,
    upsample=0,
    score_thr=0.,
    backbone=dict(),  # read by mmdet.apis.init_detector; dlib has its own
    data_preprocessor=dict(type='DetDataPreprocessor', bgr_to_rgb=True))
