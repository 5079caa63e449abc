# `detectors` (MMDet models) is imported on demand: by the face-detector
# configs' custom_imports, glamor_mm.apis and the DetectFace transform, so
# that the classifier side does not import MMDet.
from . import backbones, classifiers, heads, necks, utils  # noqa: F401
