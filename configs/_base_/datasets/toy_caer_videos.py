# Built-in toy videos: synthetic clips in the CAER layout whose label needs
# the face, the context and the motion of the context objects. Generate with
#   python tools/dataset_converters/generate_toy_caer_videos.py \
#       data/toy_caer_videos
# -> data/toy_caer_videos/{train,validation,test}/<Class>/<clip>.avi
#    + {train,validation,test}_tracks.json (the true face boxes)
# Same pipeline as CAER; 144x256 frames at 10 fps, 20-32 frames a video.
# The context objects move inside the part of the frame that every crop
# keeps. Video configs for a CPU shrink the clips: toy_caer_videos_small.py.
_base_ = ['./caer.py']

data_root = 'data/toy_caer_videos'

train_dataloader = dict(num_workers=2, dataset=dict(data_root=data_root))
val_dataloader = dict(num_workers=2, dataset=dict(data_root=data_root))
test_dataloader = dict(num_workers=2, dataset=dict(data_root=data_root))
