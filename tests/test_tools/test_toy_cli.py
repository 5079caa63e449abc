"""The toy generators' shared options
(tools/dataset_converters/toy_cli.py)."""
import argparse

from toy_cli import add_toy_arguments, generate_from_args


def test_toy_arguments_run_the_generator(capsys):
    parser = argparse.ArgumentParser()
    add_toy_arguments(parser, 'data/toy', dict(train=60, test=30), 'images')
    args = parser.parse_args(['out', '--num-test-per-class', '4'])
    assert (args.num_train_per_class, args.num_test_per_class,
            args.seed) == (60, 4, 0)
    calls = []

    def generate(out_dir, num_per_class, seed, mode):
        calls.append((out_dir, num_per_class, seed, mode))
        return dict(train=420, test=28)

    assert generate_from_args(
        generate, args, ('train', 'test'), 'images', mode='guided') == dict(
            train=420, test=28)
    assert calls == [('out', dict(train=60, test=4), 0, 'guided')]
    assert capsys.readouterr().out.startswith(
        "Wrote {'train': 420, 'test': 28} images to out in ")
