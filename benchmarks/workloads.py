"""The workloads of the fit-throughput benchmark: model shapes, data and initial weights.

Every runner of `fit_throughput.py` trains the same model, from the same initial weights, on
the same arrays. This module owns those three things so no runner can drift from the others.

- `mnist_mlp`: 784-1000(relu)-10(softmax), Adam, batch 64 (the classic Keras MNIST MLP).
- `mnist_mlp3`: 784-500-500-500-10 with `Dropout(0.2)` after each hidden layer, RMSprop,
  batch 128.
- `fraud`: 29-10(tanh)-5(tanh)-1(sigmoid), Adam, batch 2000, on a synthetic stand-in for the
  credit-card fraud table (227,845 rows, about 0.17% positives), because the real table cannot
  be downloaded here.
- `mnist_cnn`: the classic Keras convnet on `(n, 28, 28, 1)` images: Conv2D(32, 3, relu) ->
  MaxPooling2D(2) -> Conv2D(64, 3, relu) -> MaxPooling2D(2) -> Flatten -> Dense(128, relu) ->
  Dense(10, softmax), Adam, batch 128.
- `imdb_lstm`: the Keras IMDB sentiment LSTM: Embedding(20000, 128) -> LSTM(128) ->
  Dense(1, sigmoid), Adam, batch 64, on 3,200 synthetic reviews of 200 random tokens (a CPU
  LSTM over 200 steps trains only a few hundred reviews per second).
"""

import dataclasses
import functools
import pathlib

import numpy as np

REPO = pathlib.Path(__file__).resolve().parents[1]
MNIST_PATH = REPO / "examples" / "data" / "mnist.npz"

FRAUD_ROWS = 227_845
FRAUD_FEATURES = 29
FRAUD_POSITIVE_RATE = 0.0017
DATA_SEED = 1234
IMDB_ROWS = 3_200
IMDB_VOCABULARY = 20_000
IMDB_TIMESTEPS = 200


@dataclasses.dataclass(frozen=True)
class Workload:
    """One benchmark workload: a (conv stack then) Dense stack, its training settings and data.

    Attributes:
        name: The workload's name on the command line.
        inputs: Number of input features; for a convnet, the image shape `(h, w, channels)`.
        hidden: `(units, activation)` of each hidden `Dense` layer.
        outputs: Units of the last `Dense` layer.
        output_activation: `"softmax"` (categorical cross-entropy) or `"sigmoid"` (binary).
        dropout: Rate of the `Dropout` after each hidden layer; `0.0` for none.
        optimizer: Keras optimizer name, `"adam"` or `"rmsprop"`, used at learning rate 1e-3.
        batch_size: Samples per training step.
        epochs: Timed epochs per repeat unless `--epochs` says otherwise.
        targets: Minimum acceptable `lamina / <runner>` throughput ratio, per peer runner.
        load: `load(max_rows)` returning float32 `(x, y)`.
        conv: `(filters, kernel_size)` of each `Conv2D` ("valid", relu), each followed by
            `MaxPooling2D(2)`; then `Flatten` and the Dense stack. Defaults to `()` (an MLP).
        embedding: `(input_dim, output_dim)` of an `Embedding` taking `inputs` integer tokens,
            followed by an `LSTM(lstm)` whose last output feeds the Dense stack. Defaults to
            `()` (no embedding).
        lstm: Units of that `LSTM`. Defaults to `0`.
    """

    name: str
    inputs: int
    hidden: tuple
    outputs: int
    output_activation: str
    dropout: float
    optimizer: str
    batch_size: int
    epochs: int
    targets: dict
    load: object
    conv: tuple = ()
    embedding: tuple = ()
    lstm: int = 0

    @property
    def input_shape(self):
        """The shape of one sample, as Keras' `Input(shape=...)` takes it."""
        return tuple(self.inputs) if self.conv else (self.inputs,)

    @property
    def conv_shapes(self):
        """`(kernel_size, in_channels, filters)` of every `Conv2D`, first to last."""
        if not self.conv:
            return []
        channels = [self.inputs[2]] + [filters for filters, _ in self.conv]
        return [(k, c_in, c_out) for (_, k), c_in, c_out in zip(self.conv, channels, channels[1:])]

    @property
    def flat_features(self):
        """Features entering the first `Dense` layer (after the conv stack and `Flatten`)."""
        if self.lstm:
            return self.lstm
        if not self.conv:
            return self.inputs
        height, width = self.inputs[:2]
        for _, kernel in self.conv:
            height, width = (height - kernel + 1) // 2, (width - kernel + 1) // 2
        return height * width * self.conv[-1][0]

    @property
    def loss(self):
        """The Keras loss name matching the output activation."""
        if self.output_activation == "softmax":
            return "categorical_crossentropy"
        return "binary_crossentropy"

    @property
    def layer_sizes(self):
        """`(fan_in, fan_out)` of every `Dense` layer, first to last."""
        units = [self.flat_features] + [size for size, _ in self.hidden] + [self.outputs]
        return list(zip(units[:-1], units[1:]))


@functools.lru_cache(maxsize=1)
def _mnist_raw():
    with np.load(MNIST_PATH, allow_pickle=False) as data:
        return data["x_train"], data["y_train"]


def load_mnist(max_rows=None):
    """MNIST training split as Keras tutorials prepare it.

    Args:
        max_rows: Keep only the first `max_rows` samples. Defaults to `None` (all 60,000).

    Returns:
        `(x, y)`: `x` float32 `(n, 784)` in `[0, 1]`, `y` float32 one-hot `(n, 10)`.
    """
    images, labels = _mnist_raw()
    images, labels = images[:max_rows], labels[:max_rows]
    x = images.reshape(len(images), 784).astype(np.float32) / np.float32(255.0)  # (n, 784)
    y = np.eye(10, dtype=np.float32)[labels]  # (n, 10)
    return x, y


def load_mnist_images(max_rows=None):
    """MNIST training split as Keras' convnet tutorial prepares it.

    Returns:
        `(x, y)`: `x` float32 `(n, 28, 28, 1)` in `[0, 1]`, `y` float32 one-hot `(n, 10)`.
    """
    x, y = load_mnist(max_rows)
    return x.reshape(len(x), 28, 28, 1), y


@functools.lru_cache(maxsize=1)
def _fraud_table():
    rng = np.random.default_rng(DATA_SEED)
    x = rng.standard_normal((FRAUD_ROWS, FRAUD_FEATURES), dtype=np.float32)
    rule = rng.standard_normal(FRAUD_FEATURES).astype(np.float32)
    rule /= np.linalg.norm(rule)  # so that x @ rule is standard normal
    score = x @ rule + np.float32(0.5) * rng.standard_normal(FRAUD_ROWS, dtype=np.float32)
    # The cut-off sits at the score's quantile, so the positive rate is the real table's.
    threshold = np.quantile(score, 1.0 - FRAUD_POSITIVE_RATE)
    y = (score > threshold).astype(np.float32).reshape(FRAUD_ROWS, 1)  # (n, 1)
    return x, y


def load_fraud(max_rows=None):
    """A synthetic table shaped like the Kaggle credit-card fraud data.

    Features are standard normal; the label is 1 where a fixed linear rule plus Gaussian
    noise exceeds its 99.83rd percentile, so about 0.17% of the rows are positive, as in
    the real table. The table is the same on every call (fixed seed).

    Args:
        max_rows: Keep only the first `max_rows` rows. Defaults to `None` (all 227,845).

    Returns:
        `(x, y)`: `x` float32 `(n, 29)`, `y` float32 `(n, 1)` of zeros and ones.
    """
    x, y = _fraud_table()
    return x[:max_rows], y[:max_rows]


def load_imdb_tokens(max_rows=None):
    """Synthetic reviews shaped like padded IMDB data, with a label an LSTM can learn.

    Tokens are uniform in `[1, 20000)`; the label is 1 when a review's mean token is below the
    middle of the vocabulary (about half the reviews). Rows are generated in order, so the
    first rows are the same whatever `max_rows` is.

    Args:
        max_rows: Number of reviews. Defaults to `None` (3,200).

    Returns:
        `(x, y)`: `x` int32 `(n, 200)` tokens (as `pad_sequences` gives them), `y` float32
        `(n, 1)` of zeros and ones.
    """
    rows = IMDB_ROWS if max_rows is None else max_rows
    rng = np.random.default_rng(DATA_SEED)
    x = rng.integers(1, IMDB_VOCABULARY, (rows, IMDB_TIMESTEPS), dtype=np.int32)  # (n, 200)
    y = (x.mean(axis=1, keepdims=True) < IMDB_VOCABULARY / 2).astype(np.float32)  # (n, 1)
    return x, y


WORKLOADS = {
    "mnist_mlp": Workload(
        name="mnist_mlp", inputs=784, hidden=((1000, "relu"),), outputs=10,
        output_activation="softmax", dropout=0.0, optimizer="adam", batch_size=64, epochs=1,
        targets={"torch_expert": 0.95, "torch_idiomatic": 1.5}, load=load_mnist),
    "mnist_mlp3": Workload(
        name="mnist_mlp3", inputs=784, hidden=((500, "relu"),) * 3, outputs=10,
        output_activation="softmax", dropout=0.2, optimizer="rmsprop", batch_size=128,
        epochs=1, targets={}, load=load_mnist),
    "fraud": Workload(
        name="fraud", inputs=FRAUD_FEATURES, hidden=((10, "tanh"), (5, "tanh")), outputs=1,
        output_activation="sigmoid", dropout=0.0, optimizer="adam", batch_size=2000,
        epochs=1, targets={"torch_expert": 0.9}, load=load_fraud),
    "mnist_cnn": Workload(
        name="mnist_cnn", inputs=(28, 28, 1), hidden=((128, "relu"),), outputs=10,
        output_activation="softmax", dropout=0.0, optimizer="adam", batch_size=128, epochs=1,
        targets={"torch_idiomatic": 1.2}, load=load_mnist_images, conv=((32, 3), (64, 3))),
    "imdb_lstm": Workload(
        name="imdb_lstm", inputs=IMDB_TIMESTEPS, hidden=(), outputs=1,
        output_activation="sigmoid", dropout=0.0, optimizer="adam", batch_size=64, epochs=1,
        targets={"torch_expert": 0.9}, load=load_imdb_tokens,
        embedding=(IMDB_VOCABULARY, 128), lstm=128),
}


def initial_weights(workload, seed=0):
    """Keras-default initial weights for `workload`, in Keras' `get_weights()` order.

    Kernels are `glorot_uniform`, uniform in `+-sqrt(6 / (fan_in + fan_out))`, laid out as Keras
    stores them: `(fan_in, fan_out)` for Dense, `(k, k, in, out)` for Conv2D (whose fans are
    `k * k * in` and `k * k * out`); biases are zeros. Conv weights come first. An embedding
    table is uniform in `+-0.05`; the LSTM has a `glorot_uniform` kernel `(in, 4 * units)`, an
    `orthogonal` recurrent kernel `(units, 4 * units)` and a zero bias whose forget-gate
    quarter is 1 (Keras' `unit_forget_bias`), gates in Keras' order `i, f, c, o`.

    Args:
        workload: A `Workload`.
        seed: Seed of the kernel draws. Defaults to `0`.

    Returns:
        A list `[kernel_0, bias_0, kernel_1, bias_1, ...]` of float32 numpy arrays.

    Example:
    >>> [w.shape for w in initial_weights(WORKLOADS["fraud"])]
    [(29, 10), (10,), (10, 5), (5,), (5, 1), (1,)]
    """
    rng = np.random.default_rng(seed)
    weights = []
    if workload.embedding:
        vocabulary, features = workload.embedding
        units = workload.lstm
        weights.append(rng.uniform(-0.05, 0.05, (vocabulary, features)).astype(np.float32))
        limit = np.sqrt(6.0 / (features + 4 * units))
        weights.append(rng.uniform(-limit, limit, (features, 4 * units)).astype(np.float32))
        q, r = np.linalg.qr(rng.standard_normal((4 * units, units)))  # q: (4 * units, units)
        weights.append((q * np.sign(np.diag(r))).T.astype(np.float32))  # orthonormal rows
        bias = np.zeros(4 * units, dtype=np.float32)
        bias[units:2 * units] = 1.0
        weights.append(bias)
    for kernel, c_in, c_out in workload.conv_shapes:
        limit = np.sqrt(6.0 / (kernel * kernel * (c_in + c_out)))
        weights.append(rng.uniform(-limit, limit, (kernel, kernel, c_in, c_out)).astype(np.float32))
        weights.append(np.zeros(c_out, dtype=np.float32))
    for fan_in, fan_out in workload.layer_sizes:
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        weights.append(rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32))
        weights.append(np.zeros(fan_out, dtype=np.float32))
    return weights


def reference_forward(workload, weights, x):
    """The workload's model applied to `x` in numpy, in inference mode (no dropout).

    Used by the tests as the oracle every runner's starting model must agree with.

    Args:
        workload: A `Workload`.
        weights: Weights in `initial_weights` order.
        x: float `(n, *workload.input_shape)` array.

    Returns:
        float64 `(n, outputs)` probabilities.
    """
    activations = {"relu": lambda v: np.maximum(v, 0.0), "tanh": np.tanh}
    weights = list(weights)
    if workload.embedding:
        table, kernel, recurrent, bias = (weights.pop(0) for _ in range(4))
        inputs = table[np.asarray(x)].astype(np.float64)  # (n, time, features)
        h = c = np.zeros((len(inputs), workload.lstm))
        for step in range(inputs.shape[1]):
            z = inputs[:, step] @ kernel + h @ recurrent + bias  # (n, 4 * units)
            i, f, g, o = np.split(z, 4, axis=1)
            c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
            h = _sigmoid(o) * np.tanh(c)
        x = h  # (n, units): the last output
    h = np.asarray(x, dtype=np.float64)
    for kernel_size, _, _ in workload.conv_shapes:
        kernel, bias = weights.pop(0), weights.pop(0)
        windows = np.lib.stride_tricks.sliding_window_view(h, (kernel_size, kernel_size),
                                                           axis=(1, 2))  # (n, h', w', c, k, k)
        h = np.maximum(np.einsum("nhwcij,ijcf->nhwf", windows, kernel) + bias, 0.0)
        n, height, width, channels = h.shape
        h = h[:, :height // 2 * 2, :width // 2 * 2]
        h = h.reshape(n, height // 2, 2, width // 2, 2, channels).max(axis=(2, 4))
    h = h.reshape(len(h), -1)  # Keras' Flatten: (h, w, c) order
    for index, (_, activation) in enumerate(workload.hidden):
        h = activations[activation](h @ weights[2 * index] + weights[2 * index + 1])
    logits = h @ weights[-2] + weights[-1]  # (n, outputs)
    if workload.output_activation == "sigmoid":
        return _sigmoid(logits)
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def _sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))
