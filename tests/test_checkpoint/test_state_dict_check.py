"""The strict check compares types and dtypes, not only names and shapes:
a state dict of numpy arrays, or of float64 tensors, used to load as
random (or rounded) weights with exit code 0."""
import pytest
import torch
import torch.nn as nn

from glamor_mm.checkpoint import (CheckpointMismatchError, casts_exactly,
                                  check_state_dict_fits,
                                  load_checkpoint_checked)


@pytest.mark.parametrize(
    'source, target, exact',
    [
        (torch.float32, torch.float32, True),
        (torch.float16, torch.float32, True),
        (torch.bfloat16, torch.float32, True),
        (torch.float32, torch.float64, True),
        (torch.int16, torch.float32, True),  # |values| < 2**24
        (torch.int32, torch.float64, True),
        (torch.uint8, torch.int16, True),
        (torch.bool, torch.float32, True),
        (torch.float64, torch.float32, False),  # rounds
        (torch.float32, torch.float16, False),  # overflows
        (torch.float16, torch.bfloat16, False),  # bfloat16 is less precise
        (torch.int32, torch.float32, False),  # 2**24 + 1 rounds
        (torch.int64, torch.int32, False),  # wraps
        (torch.uint8, torch.int8, False),
        (torch.float32, torch.int64, False),  # truncates
        (torch.int64, torch.bool, False),
    ])
def test_casts_exactly(source, target, exact):
    assert casts_exactly(source, target) is exact


@pytest.mark.parametrize('source, target', [(torch.int32, torch.float32),
                                            (torch.float64, torch.float32),
                                            (torch.float32, torch.float16)])
def test_inexact_casts_do_change_a_value(source, target):
    """The rule is not stricter than needed: each refused cast changes a
    value of its source dtype."""
    value = {
        torch.int32: torch.tensor([2**24 + 1], dtype=torch.int32),
        torch.float64: torch.tensor([0.1], dtype=torch.float64),
        torch.float32: torch.tensor([1e5], dtype=torch.float32)
    }[source]
    assert not torch.equal(value.to(target).to(source), value)


def linear_state(**change):
    state = dict(nn.Linear(3, 2).state_dict())
    state.update(change)
    return state


def test_values_that_are_not_tensors_are_refused():
    model = nn.Linear(3, 2)
    state = {k: v.numpy() for k, v in model.state_dict().items()}
    with pytest.raises(CheckpointMismatchError) as err:
        check_state_dict_fits(model, state, 'x.pth', 'pass partial=True')
    assert '2 not tensors: weight (numpy.ndarray), bias (numpy.ndarray)' in \
        str(err.value)
    # one entry of another type among tensors
    with pytest.raises(CheckpointMismatchError, match=r'bias \(builtins.list'):
        check_state_dict_fits(model, linear_state(bias=[0., 0.]), 'x.pth',
                              None)


def test_dtypes_that_do_not_cast_exactly_are_refused():
    model = nn.Linear(3, 2)
    state = linear_state(weight=torch.zeros(2, 3, dtype=torch.float64))
    with pytest.raises(CheckpointMismatchError) as err:
        check_state_dict_fits(model, state, 'x.pth', None)
    assert "1 of a dtype that does not cast exactly to the model's: " \
        'weight torch.float64 (model: torch.float32)' in str(err.value)
    # half precision widens exactly and loads
    half = {k: v.half() for k, v in model.state_dict().items()}
    check_state_dict_fits(model, half, 'x.pth', None)


def test_checked_loader_refuses_numpy_weights(tmp_path):
    """What tools/test.py and the inferencer read: a checkpoint file whose
    state dict holds numpy arrays (allowed by the safe unpickler)."""
    model = nn.Linear(3, 2)
    path = str(tmp_path / 'numpy.pth')
    torch.save(
        dict(state_dict={
            k: v.numpy()
            for k, v in model.state_dict().items()
        }), path)
    before = model.weight.detach().clone()
    with pytest.raises(CheckpointMismatchError, match='not tensors'):
        load_checkpoint_checked(model, path)
    assert torch.equal(model.weight, before)
