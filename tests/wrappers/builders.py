"""Model builders shared by the wrapper tests (module-level, so pickles refer to them), and a
numpy forward pass used as the oracle for the wrappers' predictions."""

import numpy as np

import lamina as keras


def softmax_mlp(X, y, units=8, seed=0):
    """Keras 3 wrapper builder: `y` arrives one-hot, so the output has `y.shape[1]` units."""
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape=(X.shape[1],)),
                              keras.layers.Dense(units, activation="relu"),
                              keras.layers.Dense(y.shape[1], activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="categorical_crossentropy")
    return model


def linear(X, y, seed=0):
    """Keras 3 wrapper builder for regression: one linear layer, `y.shape[1]` outputs."""
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape=(X.shape[1],)),
                              keras.layers.Dense(y.shape[1])])
    model.compile(optimizer="sgd", loss="mse")
    return model


def build_model(n_hidden_layer=1, n_neurons=30, input_shape=(30,)):
    """The credit-card-fraud tutorial's `build_fn` (Keras 2 wrapper)."""
    model = keras.Sequential()
    model.add(keras.Input(shape=input_shape))
    for _ in range(n_hidden_layer):
        model.add(keras.layers.Dense(n_neurons, activation="relu"))
    model.add(keras.layers.Dense(1, activation="sigmoid"))
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def sigmoid_net(n_neurons=4, input_dim=3, metrics=("accuracy",), seed=0):
    """Keras 2 wrapper builder: one hidden layer, one sigmoid unit."""
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape=(input_dim,)),
                              keras.layers.Dense(n_neurons, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=list(metrics))
    return model


def softmax_net(n_classes=3, input_dim=3, loss="sparse_categorical_crossentropy", seed=0):
    """Keras 2 wrapper builder: one softmax unit per class."""
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape=(input_dim,)),
                              keras.layers.Dense(n_classes, activation="softmax")])
    model.compile(optimizer="adam", loss=loss, metrics=["acc"])
    return model


def linear_net(input_dim=3, seed=0):
    """Keras 2 wrapper builder for regression."""
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape=(input_dim,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def numpy_forward(model, X):
    """The oracle: a Sequential of Dense layers (relu, sigmoid, softmax or linear) in numpy."""
    out = np.asarray(X, dtype=np.float64)
    for layer in model.layers:
        kernel, bias = layer.get_weights()  # Keras layout: kernel (in, out)
        out = out @ kernel + bias
        name = layer.activation.__name__
        if name == "relu":
            out = np.maximum(out, 0)
        elif name == "sigmoid":
            out = 1 / (1 + np.exp(-out))
        elif name == "softmax":
            out = np.exp(out - out.max(axis=1, keepdims=True))
            out /= out.sum(axis=1, keepdims=True)
    return out
