"""Write legacy `.h5` files and sharded weights with lamina, for the Keras-side check.

Run by `check_lamina_files_in_keras.py` (or by hand) with lamina's environment:
    PYTHONPATH=src .venv/bin/python tests/saving/golden/legacy/write_lamina_files.py OUT_DIR

The architectures of `make_keras3_files.py` (from `architectures.py`), built, trained a little
(some compiled) and saved by lamina: `NAME.h5` (`model.save`, whole model), `NAME_w.h5`
(`save_weights`, the legacy weights layout) and `sharded/NAME.weights.json` with its shards
(`save_weights(..., max_shard_size=...)`). `OUT_DIR/predictions.npz` holds the inputs (`NAME/x0`, ...),
lamina's outputs (`NAME/y0`, ...) and the optimizer's `iterations` of compiled models.
"""

import os
import sys

import architectures  # beside this script
import numpy as np

import lamina as keras

SHARD_GB = 2e-6  # a few KB: each model spans several shards
BUILDERS = architectures.builders(keras, seed=31)


def main(out_dir):
    keras.utils.set_random_seed(0)
    os.makedirs(os.path.join(out_dir, "sharded"), exist_ok=True)
    arrays = {}
    for name, build in BUILDERS.items():
        model, inputs = build()
        inputs = [x.astype("float32") for x in inputs]
        outputs = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
        outputs = outputs if isinstance(outputs, list) else [outputs]
        model.save(os.path.join(out_dir, f"{name}.h5"))
        model.save_weights(os.path.join(out_dir, f"{name}_w.h5"))
        model.save_weights(os.path.join(out_dir, "sharded", f"{name}.weights.json"),
                           max_shard_size=SHARD_GB)
        if model.compiled:
            arrays[f"{name}/iterations"] = np.asarray(int(model.optimizer.iterations))
        for i, x in enumerate(inputs):
            arrays[f"{name}/x{i}"] = x
        for i, y in enumerate(outputs):
            arrays[f"{name}/y{i}"] = np.asarray(y, dtype="float32")
    np.savez(os.path.join(out_dir, "predictions.npz"), **arrays)


if __name__ == "__main__":
    main(sys.argv[1])
