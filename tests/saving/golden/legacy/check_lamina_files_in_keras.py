"""Check that legacy `.h5` files and sharded weights written by lamina load in real Keras 3.

Run from the repository root (Keras' environment; lamina runs in its own, as a subprocess):
    KERAS_BACKEND=jax /tmp/kenv/bin/python tests/saving/golden/legacy/check_lamina_files_in_keras.py

For each model: `keras.saving.load_model("NAME.h5")` (and, for compiled models, the restored
optimizer's `iterations`); then a fresh copy of the architecture (`clone_model`) loads
`NAME_w.h5` (legacy weights) and, separately, `sharded/NAME.weights.json` (shards). Prints
the largest absolute difference from lamina's predictions per file, and exits with status 1
if any is above 1e-5 or a file fails to load.
"""

import os
import subprocess
import sys
import tempfile

import keras
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
ATOL = 1e-5


def _diff(model, xs, ys):
    outputs = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    return max(float(np.max(np.abs(np.asarray(o) - y))) for o, y in zip(outputs, ys))


def main():
    out_dir = tempfile.mkdtemp(prefix="lamina-legacy-files-")
    env = {**os.environ, "PYTHONPATH": os.path.join(ROOT, "src")}
    env.pop("KERAS_BACKEND", None)
    subprocess.run([os.path.join(ROOT, ".venv", "bin", "python"),
                    os.path.join(HERE, "write_lamina_files.py"), out_dir], check=True, env=env)
    data = np.load(os.path.join(out_dir, "predictions.npz"))
    names = sorted({key.split("/")[0] for key in data.files})
    failed = False
    for name in names:
        xs = [data[f"{name}/x{i}"] for i in range(4) if f"{name}/x{i}" in data.files]
        ys = [data[f"{name}/y{i}"] for i in range(4) if f"{name}/y{i}" in data.files]
        try:
            model = keras.saving.load_model(os.path.join(out_dir, f"{name}.h5"))
        except Exception as error:  # noqa: BLE001 (report every model, then fail)
            print(f"{name + '.h5':40s} FAILED to load: {type(error).__name__}: {error}")
            failed = True
            continue
        checks = [(f"{name}.h5", model)]
        for label, path in ((f"{name}_w.h5", f"{name}_w.h5"),
                            (f"sharded/{name}.weights.json", f"sharded/{name}.weights.json")):
            clone = keras.models.clone_model(model)
            try:
                clone.load_weights(os.path.join(out_dir, path))
            except Exception as error:  # noqa: BLE001
                print(f"{label:40s} FAILED to load: {type(error).__name__}: {error}")
                failed = True
                continue
            checks.append((label, clone))
        for label, loaded in checks:
            diff = _diff(loaded, xs, ys)
            extra = ""
            if loaded is model and f"{name}/iterations" in data.files:
                iterations = int(model.optimizer.iterations.numpy())
                expected = int(data[f"{name}/iterations"])
                extra = f"  optimizer iterations {iterations} (lamina {expected})"
                failed |= iterations != expected
            status = "ok" if diff <= ATOL else "MISMATCH"
            failed |= diff > ATOL
            print(f"{label:40s} max |keras - lamina| = {diff:.2e}  {status}{extra}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
