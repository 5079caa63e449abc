# CAER-Net-S of the PyTorch re-implementation github.com/ndkhanh360/CAER
# (`CAERSNet` in CAER/model/model.py, 76.81 % test accuracy on CAER-S in its
# README), for running its trained weights converted with
#   python tools/model_converters/caernet_to_mmpretrain.py model_best.pth \
#       caernet-s_pytorch-caer.pth
# It is the CAER-Net paper's model (./caernet-s_original_1xb32-12e_caers.py)
# plus a BatchNorm1d on the face vector and on the context vector before the
# fusion (its fusion_net.face_bn / context_bn). Its attention convs have
# biases, which the converter folds into the following BN's running mean
# (exact: that BN subtracts the mean right after the bias is added).
_base_ = './caernet-s_original_1xb32-12e_caers.py'

model = dict(head=dict(vector_norm_cfg=dict(type='BN1d')))

# Its test transforms (CAER/utils/util.py and data_loaders.py, torchvision on
# PIL images):
# - face: PIL's crop of the box, black where the box leaves the image
#   (pad_outside), resized to 96x96 by PIL's bilinear filter, which smooths
#   when shrinking (cv2's does not);
# - context: the box filled black by ImageDraw.rectangle, which includes the
#   box's last row and column (include_end), resized to 128x171 (HxW) by
#   PIL, centre-cropped to 112 (columns 30..141: torchvision's rounding,
#   which mmcv's CenterCrop shares);
# - ImageNet mean/std on RGB (the _base_'s data_preprocessor).
test_pipeline = [
    dict(type='WuffsLoadImageFromFile'),
    dict(
        type='CropFace',
        scale=(96, 96),
        missing_face='zeros',
        backend='pillow',
        pad_outside=True),
    dict(type='MaskFace', include_end=True),
    dict(type='Resize', scale=(171, 128), backend='pillow'),
    dict(type='CenterCrop', crop_size=112),
    dict(type='PackTwoViewInputs'),
]
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
