"""Model tests run single-threaded: on a small shared CI machine, intra-op
threads oversubscribe the cores and make CPU convolutions (MobileNetV2's
depthwise ones especially) many times slower."""
import torch

torch.set_num_threads(1)
