"""NumClassCheckHook and ZeroedFaceHook in a real Runner (shipped
default_runtime.py) with the tiny GLAMOR-Net on tiny toy data."""
import shutil

import pytest
from mmengine.runner import Runner


def test_num_classes_must_match_the_dataset(toy_runner_cfg, tmp_path):
    """10 outputs for 7 classes trained to 0 % without a word."""
    cfg = toy_runner_cfg(str(tmp_path))
    cfg.model.head.num_classes = 10
    cfg.experiment_name = 'num_classes_10'
    runner = Runner.from_cfg(cfg)
    with pytest.raises(
            ValueError,
            match='model.head.num_classes is 10 but the train dataset '
            r'\(CAERSDataset\) has 7 classes'):
        runner.train()
    with pytest.raises(ValueError, match='the test dataset'):
        runner.test()


def test_zeroed_faces_are_counted_per_epoch(toy_runner_cfg, tiny_toy_root,
                                            tmp_path):
    root = tmp_path / 'data'
    shutil.copytree(tiny_toy_root, root)
    lines = (root / 'train.txt').read_text().splitlines()
    # swapped corners on 2 of the 14 training images: valid enough to load
    for i in (3, 10):
        path, label, x1, y1, x2, y2 = lines[i].split(',')
        lines[i] = ','.join([path, label, x2, y1, x1, y2])
    (root / 'train.txt').write_text('\n'.join(lines) + '\n')
    cfg = toy_runner_cfg(str(tmp_path / 'work'), data_root=str(root))
    cfg.experiment_name = 'zeroed_faces'
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.message_hub.get_info('train/zeroed_faces') == 2
    assert runner.message_hub.get_info('val/zeroed_faces') == 0
    log = open(runner.logger.log_file).read()
    assert 'Epoch(train) [1]: 2 of 14 face views were all-zero' in log
    assert 'Epoch(val)' not in log.split('face views were all-zero')[-1]
