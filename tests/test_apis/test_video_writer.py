"""VideoFileWriter: a previous result is replaced only by a whole video,
and the input is never the output."""
import os

import cv2
import numpy as np
import pytest

from glamor_mm.apis import VideoFileWriter, is_same_file


def frames(n):
    return [np.full((48, 64, 3), 40 * i, np.uint8) for i in range(n)]


def test_previous_result_replaced_only_by_a_whole_video(tmp_path):
    out = tmp_path / 'out.mp4'
    out.write_bytes(b'previous result')
    with pytest.raises(RuntimeError, match='interrupted'):
        with VideoFileWriter(str(out), 10, (64, 48)) as writer:
            for frame in frames(3):
                writer.write(frame)
            raise RuntimeError('interrupted')
    assert out.read_bytes() == b'previous result'
    assert os.listdir(tmp_path) == ['out.mp4']  # no temporary file left
    with VideoFileWriter(str(out), 10, (64, 48)) as writer:
        for frame in frames(5):
            writer.write(frame)
    assert writer.count == 5 and os.listdir(tmp_path) == ['out.mp4']
    assert int(cv2.VideoCapture(str(out)).get(cv2.CAP_PROP_FRAME_COUNT)) == 5


def test_output_that_is_the_input_is_refused(tmp_path):
    video = tmp_path / 'in.mp4'
    video.write_bytes(b'the input')
    (tmp_path / 'sub').mkdir()
    os.symlink(video, tmp_path / 'link.mp4')
    os.link(video, tmp_path / 'hard.mp4')
    for spelling in (video, tmp_path / 'sub' / '..' / 'in.mp4',
                     tmp_path / 'link.mp4', tmp_path / 'hard.mp4'):
        assert is_same_file(str(spelling), str(video))
        with pytest.raises(ValueError, match='is the input video'):
            VideoFileWriter(str(spelling), 10, (64, 48), source=str(video))
    assert video.read_bytes() == b'the input'
    assert not is_same_file(str(tmp_path / 'other.mp4'), str(video))
    with pytest.raises(OSError, match='Cannot write the video'):
        VideoFileWriter(str(tmp_path / 'out.unknown'), 10, (64, 48))
    assert sorted(
        os.listdir(tmp_path)) == ['hard.mp4', 'in.mp4', 'link.mp4', 'sub']
