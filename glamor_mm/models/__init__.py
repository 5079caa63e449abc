from . import backbones, classifiers, detectors, heads, necks, utils  # noqa: F401
