import pytest
import torch
from mmpretrain.structures import DataSample

from glamor_mm.apis import FaceScoreTracker


def face(box, score):
    sample = DataSample(metainfo=dict(face_bbox=box))
    score = torch.tensor(score)
    return sample.set_pred_score(score).set_pred_label(int(score.argmax()))


def test_scores_follow_each_face_by_iou():
    tracker = FaceScoreTracker(alpha=0.5, iou_thr=0.3, max_gap=1)
    left, right = [0., 0., 10., 10.], [50., 0., 60., 10.]
    first = tracker.update([face(left, [1., 0.]), face(right, [0., 1.])])
    assert [f.track_id for f in first] == [0, 1]
    # next frame: order swapped, boxes moved a little
    second = tracker.update([
        face([51., 0., 61., 10.], [1., 0.]),
        face([1., 0., 11., 10.], [0., 1.])
    ])
    assert [f.track_id for f in second] == [1, 0]
    # EMA: 0.5 * previous + 0.5 * new
    torch.testing.assert_close(second[0].pred_score, torch.tensor([.5, .5]))
    torch.testing.assert_close(second[1].pred_score, torch.tensor([.5, .5]))
    third = tracker.update([face([1., 0., 11., 10.], [0., 1.])])
    torch.testing.assert_close(third[0].pred_score, torch.tensor([.25, .75]))
    assert third[0].pred_label == 1 and third[0].track_id == 0
    # a far-away face starts a new track; unseen tracks expire
    fourth = tracker.update([face([200., 200., 220., 220.], [1., 0.])])
    assert fourth[0].track_id == 2
    torch.testing.assert_close(fourth[0].pred_score, torch.tensor([1., 0.]))
    tracker.update([])
    tracker.update([])
    assert tracker.tracks == []


def test_no_smoothing_and_bad_alpha():
    tracker = FaceScoreTracker(alpha=0.)
    tracker.update([face([0., 0., 10., 10.], [1., 0.])])
    out = tracker.update([face([0., 0., 10., 10.], [0.2, 0.8])])
    torch.testing.assert_close(out[0].pred_score, torch.tensor([.2, .8]))
    with pytest.raises(ValueError, match='alpha'):
        FaceScoreTracker(alpha=1.)
