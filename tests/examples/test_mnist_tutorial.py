"""The issue's tutorial snippet, run as written (5 epochs of the MNIST MLP on real MNIST)."""

import shutil
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:Do not pass an `input_shape`:UserWarning")  # as Keras 3
def test_tutorial_runs_as_written(tmp_path, monkeypatch, capsys):
    home = tmp_path / "keras"
    (home / "datasets").mkdir(parents=True)
    shutil.copyfile(REPO / "examples" / "data" / "mnist.npz", home / "datasets" / "mnist.npz")
    monkeypatch.setenv("KERAS_HOME", str(home))

    import lamina as keras
    from lamina.layers import Dense

    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train = x_train.reshape(-1, 784).astype("float32") / 255
    x_test = x_test.reshape(-1, 784).astype("float32") / 255
    y_train, y_test = keras.utils.to_categorical(y_train), keras.utils.to_categorical(y_test)
    model = keras.models.Sequential()
    model.add(Dense(1000, input_dim=784, activation="relu"))
    model.add(Dense(10, activation="softmax"))
    model.summary()  # Total params: 795,010
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["acc"])
    history = model.fit(x_train, y_train, validation_data=(x_test, y_test), epochs=5,
                        batch_size=64, verbose=1)
    preds = model.predict(x_test)
    loss, acc = model.evaluate(x_test, y_test, verbose=0)
    weights = model.get_weights()
    model.set_weights(weights)

    out = capsys.readouterr().out
    assert "Total params: 795,010 (3.03 MB)" in out
    assert "Epoch 5/5" in out and "938/938 ━━━━━━━━━━━━━━━━━━━━" in out
    assert list(history.history) == ["acc", "loss", "val_acc", "val_loss"]
    assert history.history["val_acc"][-1] >= 0.975
    assert acc == pytest.approx(history.history["val_acc"][-1], abs=1e-6)
    assert isinstance(preds, np.ndarray) and preds.shape == (10000, 10)
    np.testing.assert_allclose(preds.sum(axis=1), 1.0, rtol=1e-5)
    assert len(model.weights) == 4 and [w.shape for w in weights][0] == (784, 1000)
