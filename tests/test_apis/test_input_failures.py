import cv2
import numpy as np
import pytest
import torch

from glamor_mm.apis import InputFailures, TooManyFailuresError, read_image
from glamor_mm.apis.input_failures import failure_reason


def test_failures_in_a_row_stop_the_run():
    failures = InputFailures(max_consecutive=3, kind='picture')
    assert failures.add('a.png', OSError('a.png: empty file')) == \
        'OSError: a.png: empty file'
    failures.add('b.png', 'RuntimeError: from a worker')
    failures.succeeded()  # the count restarts
    failures.add('c.png', ValueError('bad'))
    failures.add('d.png', ValueError('bad'))
    cause = ZeroDivisionError('division by zero')
    with pytest.raises(
            TooManyFailuresError,
            match=r'(?s)Stopped: 3 picture\(s\) in a row failed.*'
            r'--max-consecutive-failures.*stops\):\n  c.png: ValueError: bad\n'
            r'  d.png: ValueError: bad\n'
            r'  e.png: ZeroDivisionError: division by zero$') as info:
        failures.add('e.png', cause)
    assert info.value.__cause__ is cause
    assert [name for name, _ in failures.failed
            ] == ['a.png', 'b.png', 'c.png', 'd.png', 'e.png']
    assert failures.report(10).splitlines()[:2] == [
        '5 of 10 picture(s) failed and were skipped:',
        '  a.png: OSError: a.png: empty file'
    ]


def test_zero_never_stops_and_negative_is_refused():
    failures = InputFailures(max_consecutive=0)
    for i in range(100):
        failures.add(str(i), 'OSError: x')
    assert len(failures.failed) == 100
    with pytest.raises(ValueError, match='max_consecutive must be >= 0'):
        InputFailures(max_consecutive=-1)


def test_out_of_memory_is_never_an_input_failure():
    failures = InputFailures(max_consecutive=0)
    for error in (MemoryError(), torch.OutOfMemoryError('CUDA OOM')):
        with pytest.raises(type(error)):
            failures.add('a.png', error)
        with pytest.raises(type(error)):
            failure_reason(error)
    assert failures.failed == []


def test_read_image_names_the_file_and_the_problem(tmp_path):
    img = np.random.default_rng(0).integers(0, 255, (5, 7, 3), np.uint8)
    cv2.imwrite(str(tmp_path / 'ok.png'), img)
    np.testing.assert_array_equal(read_image(str(tmp_path / 'ok.png')), img)
    (tmp_path / 'empty.png').write_bytes(b'')
    (tmp_path / 'text.jpg').write_bytes(b'not a jpeg')
    with pytest.raises(
            OSError,
            match=r'empty.png: cannot be read as an '
            r'image \(empty file\)'):
        read_image(str(tmp_path / 'empty.png'))
    with pytest.raises(OSError, match=r'text.jpg: .*not an image file'):
        read_image(str(tmp_path / 'text.jpg'))
    with pytest.raises(OSError, match='missing.png'):
        read_image(str(tmp_path / 'missing.png'))
