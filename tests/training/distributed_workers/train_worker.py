"""One process of the 2-process runs of `tests/training/test_distributed.py`.

Launched by the test as `python -m torch.distributed.run --nproc_per_node=2 train_worker.py
OUT`; `OUT/data.npz` holds the data. Each process writes what it saw to `OUT` (files named
`*_rank<r>`), and the test compares the processes with each other and with one process
trained on the same global batches. Not a test module: importing it does nothing.
"""

import json
import os
import sys

import numpy as np
import torch

BATCH = 16  # per process


def build_model(keras, seed):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def main(out):
    import lamina as keras
    from lamina.training.data_adapters import sharding

    rank = int(os.environ["RANK"])
    data = dict(np.load(os.path.join(out, "data.npz")))
    x, y, x_val, y_val = data["x"], data["y"], data["x_val"], data["y_val"]
    x_test, y_test, x_new = data["x_test"], data["y_test"], data["x_new"]
    results = {}

    def save(name, value):
        results[name] = value

    # The shared order of every training pass, as `fit` draws it (the test rebuilds the
    # global batches from it).
    orders = []
    pass_order = sharding.Sharding.pass_order

    def recording(self, count, shuffle, batch_size, device):
        order = pass_order(self, count, shuffle, batch_size, device)
        if self.training:
            orders.append(order.cpu().numpy())
        return order

    sharding.Sharding.pass_order = recording

    # 1. fit on arrays, each process initialised differently (rank 0's weights must win).
    model = build_model(keras, seed=10 + rank)
    save("initial", model.get_weights())
    history = {}

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            for key, value in logs.items():
                history.setdefault(key, []).append(value)

    callbacks = [Record(), keras.callbacks.CSVLogger(os.path.join(out, f"log_rank{rank}.csv")),
                 keras.callbacks.ModelCheckpoint(
                     os.path.join(out, f"ckpt_rank{rank}", "model.weights.h5"),
                     save_weights_only=True),
                 keras.callbacks.TensorBoard(os.path.join(out, f"tb_rank{rank}"),
                                             write_graph=False)]
    model.fit(x, y, batch_size=BATCH, epochs=2, validation_data=(x_val, y_val),
              callbacks=callbacks, verbose=0)
    save("orders", orders[:])
    save("trained", model.get_weights())
    save("evaluate", model.evaluate(x_test, y_test, batch_size=8, verbose=0,
                                    return_dict=True))
    save("predict", model.predict(x_new, batch_size=2, verbose=0))

    # 2. evaluate and predict from batch sources.
    class Batches(keras.utils.PyDataset):
        def __init__(self, *arrays):
            super().__init__()
            self.arrays = arrays

        def __len__(self):
            return (len(self.arrays[0]) + 1) // 2

        def __getitem__(self, index):
            return tuple(a[2 * index:2 * index + 2] for a in self.arrays)

    def generator():
        for start in range(0, len(x_new), 2):
            yield x_new[start:start + 2]

    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(x_new)), batch_size=2)
    save("predict_pydataset", model.predict(Batches(x_new), verbose=0))
    save("predict_generator", model.predict(generator(), verbose=0))
    save("predict_loader", model.predict(loader, verbose=0))
    test_loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(x_test), torch.from_numpy(y_test)),
        batch_size=8)
    save("evaluate_loader", model.evaluate(test_loader, verbose=0, return_dict=True))
    save("evaluate_pydataset", model.evaluate(Batches(x_test, y_test), verbose=0,
                                              return_dict=True))

    # 3. fit from a shuffling DataLoader (a DistributedSampler) and from a PyDataset.
    train_loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
        batch_size=BATCH, shuffle=True)
    fitted = model.fit(train_loader, epochs=2, verbose=0)
    save("loader_history", fitted.history)
    save("loader_trained", model.get_weights())
    fitted = model.fit(Batches(x, y), epochs=1, verbose=0)
    save("pydataset_history", fitted.history)
    save("pydataset_trained", model.get_weights())

    # 4. A custom `train_step` (gradients averaged by hooks) against the default one (DDP),
    # both from rank 0's initial weights, unshuffled.
    class Custom(keras.Model):
        def train_step(self, data):
            return super().train_step(data)

    default = build_model(keras, seed=20)
    inputs = keras.Input((8,))
    hidden = keras.layers.Dense(16, activation="relu")(inputs)
    custom = Custom(inputs, keras.layers.Dense(3, activation="softmax")(hidden))
    custom.compile(optimizer=keras.optimizers.Adam(0.01),
                   loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    custom.set_weights(default.get_weights())
    for each in (default, custom):
        each.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    save("default_step", default.get_weights())
    save("custom_step", custom.get_weights())

    # 5. `stop_training` set by one process only, mid-epoch: both stop at the same step.
    def stop_on_rank_1(batch, logs):
        if rank == 1 and batch == 1:
            stopper.model.stop_training = True

    stopper = keras.callbacks.LambdaCallback(on_train_batch_end=stop_on_rank_1)
    stopped = build_model(keras, seed=30)
    fitted = stopped.fit(x, y, batch_size=BATCH, epochs=3, callbacks=[stopper], verbose=0)
    save("stopped_epochs", len(fitted.history["loss"]))
    save("stopped_iterations", int(stopped.optimizer.iterations))

    # 6. train_on_batch: each process its own half of a batch, gradients averaged.
    on_batch = build_model(keras, seed=40 + rank)
    save("on_batch_initial", on_batch.get_weights())
    on_batch.train_on_batch(x[8 * rank:8 * rank + 8], y[8 * rank:8 * rank + 8])
    save("on_batch_trained", on_batch.get_weights())

    save("history", history)
    _write(os.path.join(out, f"results_rank{rank}"), results)


def _write(path, results):
    """Arrays to `path.npz`, everything else to `path.json`."""
    arrays, plain = {}, {}
    for name, value in results.items():
        if isinstance(value, np.ndarray):
            arrays[name] = value
        elif isinstance(value, list) and value and isinstance(value[0], np.ndarray):
            arrays.update({f"{name}/{i}": v for i, v in enumerate(value)})
        else:
            plain[name] = value
    np.savez(path + ".npz", **arrays)
    with open(path + ".json", "w") as f:
        json.dump(plain, f)


if __name__ == "__main__":
    main(sys.argv[1])
