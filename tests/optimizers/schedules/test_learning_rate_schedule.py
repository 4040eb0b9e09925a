"""Learning rate schedules: values against Keras 3, configs, (de)serialisation, errors."""

import pytest
import torch

from lamina.optimizers import schedules
from tests.optimizers import features_golden

FIXTURE = features_golden.FIXTURE
STEPS = FIXTURE["steps"]


def case_id(case):
    return case["schedule"] + "(" + ",".join(f"{k}={v}" for k, v in case["kwargs"].items()) + ")"


@pytest.mark.parametrize("case", FIXTURE["schedules"], ids=case_id)
def test_values_match_keras(case):
    schedule = getattr(schedules, case["schedule"])(**case["kwargs"])
    got = torch.stack([schedule(torch.tensor(step)) for step in STEPS])
    assert got.dtype == torch.float32
    # atol: near the bottom of a cosine, 1 + cos(pi * x) cancels; torch's float32 cos is
    # within 2 ulp of the rounded value, which leaves ~3e-9 there.
    torch.testing.assert_close(got, torch.tensor(case["values"]), rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("case", FIXTURE["schedules"], ids=case_id)
def test_config_equals_keras_and_round_trips(case):
    schedule = getattr(schedules, case["schedule"])(**case["kwargs"])
    assert schedule.get_config() == case["config"]
    clone = type(schedule).from_config(schedule.get_config())
    assert clone.get_config() == case["config"]
    torch.testing.assert_close(clone(torch.tensor(7)), schedule(torch.tensor(7)))


def test_python_int_and_tensor_steps_agree_and_inputs_stay_unchanged():
    for schedule in [schedules.CosineDecay(0.1, 10), schedules.PolynomialDecay(0.1, 5),
                     schedules.PiecewiseConstantDecay([3], [0.1, 0.2]),
                     schedules.CosineDecayRestarts(0.1, 4)]:
        step = torch.tensor(6.0)
        value = schedule(step)
        assert value.ndim == 0 and value.dtype == torch.float32
        assert step.item() == 6.0  # the schedule computes on its own copy
        torch.testing.assert_close(schedule(6), value)
        torch.testing.assert_close(schedule(torch.tensor(6)), value)


def test_values_stay_on_the_steps_device_without_reading_it():
    # On the meta device any read of a value raises: the schedules compute on the device.
    step = torch.zeros((), dtype=torch.int64, device="meta")
    for schedule in [schedules.ExponentialDecay(0.1, 10, 0.9, staircase=True),
                     schedules.PiecewiseConstantDecay([3, 5], [0.1, 0.2, 0.3]),
                     schedules.PolynomialDecay(0.1, 5, cycle=True),
                     schedules.InverseTimeDecay(0.1, 5, 0.5, staircase=True),
                     schedules.CosineDecay(0.0, 10, warmup_target=0.1, warmup_steps=3),
                     schedules.CosineDecayRestarts(0.1, 4, t_mul=1.0),
                     schedules.CosineDecayRestarts(0.1, 4)]:
        value = schedule(step)
        assert value.device.type == "meta" and value.shape == ()


def test_serialize_is_keras_dict_form_and_deserializes():
    schedule = schedules.ExponentialDecay(0.1, 10, 0.9, staircase=True)
    config = schedules.serialize(schedule)
    assert config == {"module": "keras.optimizers.schedules", "class_name": "ExponentialDecay",
                      "config": schedule.get_config(), "registered_name": None}
    clone = schedules.deserialize(config)
    assert isinstance(clone, schedules.ExponentialDecay) and clone.staircase
    keras_2_form = {"class_name": "PiecewiseConstantDecay",
                    "config": {"boundaries": [5], "values": [0.1, 0.01],
                               "name": "PiecewiseConstant"}}
    assert schedules.deserialize(keras_2_form)(6) == pytest.approx(0.01)


class InverseSquareRoot(schedules.LearningRateSchedule):
    """A user schedule, as a Keras tutorial writes one."""

    def __init__(self, initial_learning_rate):
        self.initial_learning_rate = initial_learning_rate

    def __call__(self, step):
        return self.initial_learning_rate / torch.sqrt(step + 1.0)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate}


def test_user_subclass_serialises_as_a_custom_object():
    config = schedules.serialize(InverseSquareRoot(0.5))
    assert config["class_name"] == "InverseSquareRoot"
    assert config["registered_name"] == "Custom>InverseSquareRoot"
    clone = schedules.deserialize(config, custom_objects={"InverseSquareRoot": InverseSquareRoot})
    torch.testing.assert_close(clone(torch.tensor(3)), torch.tensor(0.25))


def test_base_class_asks_for_call_and_get_config():
    class Incomplete(schedules.LearningRateSchedule):
        pass

    with pytest.raises(TypeError, match=r"`Incomplete` does not define `__call__`"):
        Incomplete()(torch.tensor(0))
    with pytest.raises(TypeError, match=r"`Incomplete` does not define `get_config`, so it "
                                        r"cannot be serialised"):
        Incomplete().get_config()


def test_deserialize_unknown_name_lists_names_and_closest_match():
    with pytest.raises(ValueError, match=r"Unknown learning rate schedule: 'ExponentialDecy'. "
                                         r"Did you mean 'ExponentialDecay'\?.*CosineDecay"):
        schedules.deserialize({"class_name": "ExponentialDecy", "config": {}})
    with pytest.raises(TypeError, match="config dict with a 'class_name' key"):
        schedules.deserialize("ExponentialDecay")


@pytest.mark.parametrize("cls, kwargs, message", [
    (schedules.ExponentialDecay, {"initial_learning_rate": 0.1, "decay_steps": 0,
                                  "decay_rate": 0.9},
     (r"`ExponentialDecay` expects `decay_steps` to be a positive number. "
     r"Received: decay_steps=0 \(of type int\)")),
    (schedules.ExponentialDecay, {"initial_learning_rate": -0.1, "decay_steps": 10,
                                  "decay_rate": 0.9},
     r"`ExponentialDecay` expects `initial_learning_rate` to be a non-negative number"),
    (schedules.ExponentialDecay, {"initial_learning_rate": 0.1, "decay_steps": 10,
                                  "decay_rate": -0.5},
     r"`ExponentialDecay` expects `decay_rate` to be a non-negative number"),
    (schedules.InverseTimeDecay, {"initial_learning_rate": 0.1, "decay_steps": -2,
                                  "decay_rate": 0.5},
     r"`InverseTimeDecay` expects `decay_steps` to be a positive number"),
    (schedules.InverseTimeDecay, {"initial_learning_rate": "0.1", "decay_steps": 2,
                                  "decay_rate": 0.5},
     r"`InverseTimeDecay` expects `initial_learning_rate` to be a non-negative number"),
    (schedules.PolynomialDecay, {"initial_learning_rate": 0.1, "decay_steps": float("inf")},
     r"`PolynomialDecay` expects `decay_steps` to be a positive number"),
    (schedules.PolynomialDecay, {"initial_learning_rate": 0.1, "decay_steps": 10,
                                 "end_learning_rate": -1.0},
     r"`PolynomialDecay` expects `end_learning_rate` to be a non-negative number"),
    (schedules.PolynomialDecay, {"initial_learning_rate": 0.1, "decay_steps": 10,
                                 "power": None},
     r"`PolynomialDecay` expects `power` to be a finite number. Received: power=None"),
])
def test_rejects_bad_arguments(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls(**kwargs)


@pytest.mark.parametrize("boundaries, values, message", [
    ([10, 20], [1.0, 0.5], (r"`PiecewiseConstantDecay` expects one more value than "
                           r"boundaries. Received: boundaries=\[10, 20\] \(length 2\), "
                           r"values=\[1.0, 0.5\] \(length 2\)")),
    ([20, 10], [1.0, 0.5, 0.1], (r"`PiecewiseConstantDecay` expects `boundaries` to increase "
                                r"strictly. Received: boundaries=\[20, 10\]")),
    ([10, 10], [1.0, 0.5, 0.1], r"expects `boundaries` to increase strictly"),
    (["10"], [1.0, 0.5], (r"`PiecewiseConstantDecay` expects `boundaries\[0\]` to be a finite "
                         r"number")),
    ([10], [1.0, -0.5], (r"`PiecewiseConstantDecay` expects `values\[1\]` to be a "
                        r"non-negative number")),
])
def test_piecewise_constant_decay_rejects_bad_pieces(boundaries, values, message):
    with pytest.raises(ValueError, match=message):
        schedules.PiecewiseConstantDecay(boundaries, values)
