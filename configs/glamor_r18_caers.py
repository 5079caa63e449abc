# GLAMOR-Net with ResNet-18 face and context encoders on CAER-S: the paper's
# recipe (SGD, momentum 0.9, lr 5e-4 x0.1 at epochs 25 and 40 of 60, batch 32).
#   python tools/train.py configs/glamor_r18_caers.py
#   bash tools/dist_train.sh configs/glamor_r18_caers.py 8 --auto-scale-lr
_base_ = ['./glamor/glamor_resnet18_1xb32-60e_caers.py']
