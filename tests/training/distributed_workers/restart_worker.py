"""One process of the interrupted 2-process run of `tests/training/test_distributed.py`.

Launched as `python -m torch.distributed.run --nproc_per_node=2 --max-restarts=1
restart_worker.py OUT SAVE_FREQ`. In the first attempt, rank 1 kills itself after batch 1 of
epoch 2; torchrun restarts both processes, and `BackupAndRestore(save_freq=SAVE_FREQ)` resumes
from the backup of epoch 1 (`"epoch"`) or of batch 0 of epoch 2 (`1`). Each
attempt records the shared order of every training pass it started
(`orders_attempt<a>.npz`, rank 0) and each process its final results (`results_rank<r>`).
Not a test module: importing it does nothing.
"""

import json
import os
import signal
import sys

import numpy as np

EPOCHS, BATCH, KILLED_EPOCH = 4, 16, 2


def main(out, save_freq):
    import lamina as keras
    from lamina.training.data_adapters import sharding

    rank = int(os.environ["RANK"])
    attempt = int(os.environ["TORCHELASTIC_RESTART_COUNT"])
    data = np.load(os.path.join(out, "data.npz"))
    x, y = data["x"], data["y"]
    orders = []
    pass_order = sharding.Sharding.pass_order

    def recording(self, count, shuffle, batch_size, device):
        order = pass_order(self, count, shuffle, batch_size, device)
        if self.training:
            orders.append(order.cpu().numpy())
            if rank == 0:  # kept even if this attempt is killed
                np.savez(os.path.join(out, f"orders_attempt{attempt}.npz"), *orders)
        return order

    sharding.Sharding.pass_order = recording

    class KillRank1(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            if attempt == 0 and rank == 1 and self.epoch == KILLED_EPOCH and batch == 1:
                os.kill(os.getpid(), signal.SIGKILL)

    keras.utils.set_random_seed(5)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    if attempt == 0 and rank == 0:
        np.savez(os.path.join(out, "initial.npz"), *model.get_weights())
    save_freq = save_freq if save_freq == "epoch" else int(save_freq)
    backup = keras.callbacks.BackupAndRestore(os.path.join(out, "backup"), save_freq=save_freq)
    history = model.fit(x, y, batch_size=BATCH, epochs=EPOCHS,
                        callbacks=[backup, KillRank1()], verbose=0)
    np.savez(os.path.join(out, f"trained_rank{rank}.npz"), *model.get_weights())
    with open(os.path.join(out, f"results_rank{rank}.json"), "w") as f:
        json.dump({"attempt": attempt, "epochs": history.epoch, "history": history.history,
                   "iterations": int(model.optimizer.iterations)}, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
