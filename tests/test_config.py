import pytest
import torch

from lamina import config


def test_device_defaults_to_cuda_when_available_else_cpu(monkeypatch):
    monkeypatch.setattr(config, "_DEVICE", None)
    monkeypatch.delenv("LAMINA_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert config.device().type == expected


def test_device_from_environment_and_set_device(monkeypatch):
    monkeypatch.setattr(config, "_DEVICE", None)
    monkeypatch.setenv("LAMINA_DEVICE", "meta")
    assert config.device() == torch.device("meta")
    config.set_device("cpu")
    assert config.device() == torch.device("cpu")
    with pytest.raises(ValueError, match="`set_device` expects a torch device name"):
        config.set_device("toaster")


def test_dtype_names():
    assert config.torch_dtype(None) is torch.float32
    assert config.torch_dtype("int64") is torch.int64
    with pytest.raises(ValueError, match="Unknown dtype: 'float33'"):
        config.torch_dtype("float33")
    with pytest.raises(ValueError, match="`set_floatx` expects one of"):
        config.set_floatx("float8")
    with pytest.raises(ValueError, match="`set_image_data_format` expects"):
        config.set_image_data_format("nhwc")
