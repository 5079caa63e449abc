"""Convert the image to one gray channel."""
import mmcv
from mmcv.transforms import BaseTransform
from mmpretrain.registry import TRANSFORMS


@TRANSFORMS.register_module()
class Grayscale(BaseTransform):
    """Convert a BGR image to gray with OpenCV (``cv2.COLOR_BGR2GRAY``).

    ``0.299 R + 0.587 G + 0.114 B``, rounded as OpenCV rounds, i.e. the
    gray picture that models trained on OpenCV-converted faces (such as the
    ``fer`` package's) saw. MMPretrain's ``RandomGrayscale`` truncates its
    weighted sum instead, which is one gray level off for many pixels.

    Required Keys:

    - img (np.ndarray): ``H x W x 3`` BGR image, or an ``H x W`` gray one
      (left as it is).

    Modified Keys:

    - img: ``H x W`` gray image, same dtype.
    """

    def transform(self, results: dict) -> dict:
        """Convert ``results['img']`` to gray.

        Args:
            results (dict): Result dict with ``img``.

        Returns:
            dict: The result dict with the gray ``img``.
        """
        img = results['img']
        if img.ndim == 3 and img.shape[2] == 3:
            results['img'] = mmcv.bgr2gray(img)
        elif img.ndim == 3 and img.shape[2] == 1:
            results['img'] = img[..., 0]
        elif img.ndim != 2:
            raise ValueError(
                f'Grayscale: {results.get("img_path", "<image>")} has shape '
                f'{img.shape}; expected H x W x 3 (BGR) or H x W.')
        return results
