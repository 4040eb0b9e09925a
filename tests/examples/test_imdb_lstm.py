"""`examples/imdb_lstm.py`: its model and training loop on small synthetic reviews (no network),
and its data preparation on a fake `imdb.npz`."""

import hashlib
import importlib.util
import io
import os
import pathlib
import zipfile

import numpy as np

import lamina as keras
from lamina.datasets import imdb

_PATH = pathlib.Path(__file__).resolve().parents[2] / "examples" / "imdb_lstm.py"
_SPEC = importlib.util.spec_from_file_location("imdb_lstm", _PATH)
imdb_lstm = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(imdb_lstm)


def reviews(rng, count, length=10):
    """Positive reviews use words 10-99, negative ones words 100-189: trivially learnable."""
    y = rng.integers(0, 2, count)
    x = np.where(y[:, None] == 1, rng.integers(10, 100, (count, length)),
                 rng.integers(100, 190, (count, length))).astype(np.int32)
    return x, y


def test_model_is_the_classic_one():
    model = imdb_lstm.build_model()
    assert [type(layer).__name__ for layer in model.layers] == ["Embedding", "LSTM", "Dense"]
    # Keras' count: 20000 * 128 + 4 * (128 * 128 + 128 * 128 + 128) + 128 + 1.
    assert model.count_params() == 2_691_713
    assert model.layers[1].dropout == 0.2 and model.layers[1].recurrent_dropout == 0.0


def test_learns_a_trivial_signal():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x_train, y_train = reviews(rng, 128)
    x_test, y_test = reviews(rng, 32)
    model = imdb_lstm.build_model(max_features=200)
    before = model.evaluate(x_test, y_test, verbose=0)[0]
    loss, acc = imdb_lstm.train(model, x_train, y_train, x_test, y_test, batch_size=16,
                                epochs=3, verbose=0)
    assert acc == 1.0 and loss < 0.5 * before
    predictions = model.predict(x_test, verbose=0)[:, 0]
    np.testing.assert_array_equal(predictions > 0.5, y_test == 1)


def test_prepares_imdb_as_the_tutorial_does(monkeypatch):
    raw = {"x_train": [[5, 6, 7], [1] * 100], "x_test": [[30_000, 8]], "y_train": [1, 0],
           "y_test": [1]}
    directory = pathlib.Path(os.environ["KERAS_HOME"]) / "datasets"
    directory.mkdir(parents=True)
    path = directory / "imdb.npz"
    with zipfile.ZipFile(path, "w") as archive:
        for name, value in raw.items():
            array = np.empty(len(value), dtype=object) if name.startswith("x") else None
            if array is not None:
                for i, review in enumerate(value):
                    array[i] = review
            else:
                array = np.array(value, dtype=np.int64)
            buffer = io.BytesIO()
            np.save(buffer, array, allow_pickle=True)
            archive.writestr(name + ".npy", buffer.getvalue())
    monkeypatch.setattr(imdb, "SHA256", hashlib.sha256(path.read_bytes()).hexdigest())
    (x_train, y_train), (x_test, y_test) = imdb_lstm.load_imdb(maxlen=4)
    assert x_train.dtype == np.int32 and x_train.shape == (2, 4)
    # Reviews are shuffled with seed 113; each starts with 1, words shift by 3, and words
    # outside the vocabulary become 2; the last 4 tokens are kept, shorter ones pre-padded.
    assert sorted(zip(map(tuple, x_train.tolist()), y_train.tolist())) == [
        ((1, 8, 9, 10), 1), ((4, 4, 4, 4), 0)]
    assert x_test.tolist() == [[0, 1, 2, 11]] and y_test.tolist() == [1]

