"""`examples/mnist_cnn.py`, the classic Keras convnet, run for 2 epochs on real MNIST."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_mnist_cnn_example_learns(tmp_path):
    env = {**os.environ, "KERAS_HOME": str(tmp_path), "LAMINA_EXAMPLE_EPOCHS": "2",
           "PYTHONPATH": str(REPO / "src")}
    result = subprocess.run([sys.executable, str(REPO / "examples" / "mnist_cnn.py")], env=env,
                            capture_output=True, text=True, timeout=600, check=True)
    out = result.stdout
    assert "Total params: 34,826 (136.04 KB)" in out  # Keras' count for this model
    assert "Epoch 2/2" in out and "422/422" in out  # 54,000 training rows after the split
    accuracy = float(out.rsplit("test accuracy: ", 1)[1].split()[0])
    assert accuracy >= 0.98
