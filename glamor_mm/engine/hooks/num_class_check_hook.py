"""Check that the model and the dataset agree on the classes."""
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class NumClassCheckHook(Hook):
    """Stop before a run whose model and dataset disagree on the classes.

    Like MMDet's hook of the same name, where the dataset and the model
    meet: at the start of training, validation and testing, the number of
    classes of the dataset (``metainfo['classes']``) must equal the
    ``num_classes`` of the model's head and of its data preprocessor. A
    mismatch otherwise passes silently (more outputs than classes: the extra
    ones are never the target) or fails later with ``Target 6 is out of
    bounds``.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        self._check(runner, runner.train_dataloader, 'train')

    def before_val(self, runner) -> None:
        self._check(runner, runner.val_dataloader, 'val')

    def before_test(self, runner) -> None:
        self._check(runner, runner.test_dataloader, 'test')

    @staticmethod
    def _check(runner, dataloader, mode: str) -> None:
        """Raise if a ``num_classes`` of the model differs from the data's.

        Args:
            runner (Runner): The runner.
            dataloader (DataLoader): The loader of ``mode``.
            mode (str): ``'train'``, ``'val'`` or ``'test'``, for messages.
        """
        classes = getattr(dataloader.dataset, 'metainfo', {}).get('classes')
        if classes is None:
            return
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        for part in ('head', 'data_preprocessor'):
            num_classes: Optional[int] = getattr(
                getattr(model, part, None), 'num_classes', None)
            if num_classes is not None and num_classes != len(classes):
                raise ValueError(
                    f'model.{part}.num_classes is {num_classes} but the '
                    f'{mode} dataset ({type(dataloader.dataset).__name__}) '
                    f'has {len(classes)} classes {tuple(classes)}; set '
                    f'num_classes={len(classes)} or use the matching '
                    'dataset.')
