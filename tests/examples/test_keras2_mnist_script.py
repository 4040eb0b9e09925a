"""A Keras 2-era MNIST MLP script, written as tutorials wrote it (legacy module paths,
`np_utils`, `SGD(lr=...)`, `fit(nb_epoch=...)`), runs on lamina: it learns, and each legacy
spelling emits one warning, at its own line, naming the modern spelling."""

import shutil
import warnings
from collections import Counter
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[2]

SCRIPT = '''\
import numpy as np
from lamina.datasets import mnist
from lamina.models import Sequential
from lamina.layers.core import Dense, Dropout, Activation
from lamina.optimizers import SGD
from lamina.utils import np_utils
from lamina.utils import vis_utils

np.random.seed(1337)
nb_classes = 10
(X_train, y_train), (X_test, y_test) = mnist.load_data()
X_train = X_train[:4000].reshape(4000, 784).astype("float32") / 255
X_test = X_test[:1000].reshape(1000, 784).astype("float32") / 255
Y_train = np_utils.to_categorical(y_train[:4000], nb_classes)
Y_test = np_utils.to_categorical(y_test[:1000], nb_classes)

model = Sequential()
model.add(Dense(512, input_shape=(784,)))
model.add(Activation("relu"))
model.add(Dropout(0.2))
model.add(Dense(nb_classes))
model.add(Activation("softmax"))
model.compile(loss="categorical_crossentropy", optimizer=SGD(lr=0.01), metrics=["accuracy"])
vis_utils.plot_model(model, to_file="mlp.png", show_shapes=True)
history = model.fit(X_train, Y_train, batch_size=32, nb_epoch=2, verbose=0,
                    validation_data=(X_test, Y_test))
score = model.evaluate(X_test, Y_test, verbose=0)
'''

# (line of SCRIPT, category, start of the message): each exactly once.
EXPECTED = [
    (4, DeprecationWarning, ("`lamina.layers.core.Dropout` (a Keras 2 import path) is "
                             "deprecated in Keras 3; use `lamina.layers.Dropout`.")),
    (14, DeprecationWarning, ("`lamina.utils.np_utils.to_categorical` (a Keras 2 import path) "
                              "is deprecated in Keras 3; use `lamina.utils.to_categorical`.")),
    (15, DeprecationWarning, "`lamina.utils.np_utils.to_categorical`"),
    (18, UserWarning, "Do not pass an `input_shape`/`input_dim` argument to a layer."),
    (23, DeprecationWarning, "`lr` is deprecated in Keras 3; use `learning_rate=0.01`."),
    (24, DeprecationWarning, ("`lamina.utils.vis_utils.plot_model` (a Keras 2 import path) is "
                              "deprecated in Keras 3; use `lamina.utils.plot_model`.")),
    (25, DeprecationWarning, "`nb_epoch` is deprecated in Keras 3; use `epochs=2`."),
]


def test_keras2_mnist_mlp_script_runs_learns_and_warns_once_per_legacy_spelling(
        tmp_path, monkeypatch):
    (tmp_path / "datasets").mkdir()
    shutil.copyfile(REPO / "examples" / "data" / "mnist.npz",
                    tmp_path / "datasets" / "mnist.npz")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)  # the script writes mlp.png in the working directory
    namespace = {"__name__": "__main__"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(compile(SCRIPT, "keras2_mnist_mlp.py", "exec"), namespace)  # noqa: S102

    ours = [w for w in caught if w.filename == "keras2_mnist_mlp.py"]
    assert [w for w in caught if w not in ours] == []  # every warning points at the script
    assert Counter(w.lineno for w in ours) == Counter(line for line, _, _ in EXPECTED)
    for line, category, message in EXPECTED:
        (found,) = [w for w in ours if w.lineno == line]
        assert found.category is category and str(found.message).startswith(message), found

    with Image.open(tmp_path / "mlp.png") as plot:  # five boxes stacked, at 200 dpi
        plot.load()
        assert plot.format == "PNG" and plot.height > plot.width > 500

    history, (loss, accuracy) = namespace["history"], namespace["score"]
    assert list(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert history.history["loss"][1] < history.history["loss"][0]
    assert accuracy > 0.7 and loss < 1.2  # 2 epochs of plain SGD on 4,000 images
