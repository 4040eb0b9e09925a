import pytest

from lamina import registry
from lamina.validation import validate_choice, validate_positive_int, validate_shape


def test_lookup_lists_names_and_the_closest_match():
    with pytest.raises(ValueError, match=r"Unknown loss: 'mse2'. Did you mean 'mse'\? Valid "
                       "names are: .*mean_squared_error"):
        registry.lookup("keras.losses", "mse2", "loss")


def test_validators_follow_the_template():
    with pytest.raises(ValueError, match=r"`Thing` expects `units` to be a positive integer. "
                       r"Received: units=True \(of type bool\)."):
        validate_positive_int(True, "units", "Thing")
    with pytest.raises(ValueError, match="expects `mode` to be one of 'a', 'b'"):
        validate_choice("c", "mode", ("a", "b"))
    assert validate_shape(3, "shape") == (3,)
    assert validate_shape([None, 2], "shape") == (None, 2)


def test_serialize_functions_and_objects_in_keras_form():
    from lamina import losses

    def my_metric(y_true, y_pred):
        return y_pred

    assert registry.serialize(losses.mean_squared_error) == {
        "module": "keras.losses", "class_name": "function", "config": "mean_squared_error",
        "registered_name": "function"}
    assert registry.serialize(my_metric)["config"] == "my_metric"
    config = registry.serialize(losses.Huber(delta=2.0))
    assert config["class_name"] == "Huber" and config["config"]["delta"] == 2.0
    assert registry.deserialize(config, "keras.losses", "loss").get_config() == config["config"]
    with pytest.raises(TypeError, match="Expected a loss config dict"):
        registry.deserialize("huber", "keras.losses", "loss")


def test_serialize_writes_none_for_an_absent_object():
    from lamina import constraints, regularizers

    assert registry.serialize(None) is None
    assert regularizers.serialize(None) is None and constraints.serialize(None) is None
