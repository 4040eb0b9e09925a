"""Check that `.keras` files written by lamina load in real Keras 3 and predict the same.

Run from the repository root (Keras' environment; lamina runs in its own, as a subprocess):
    KERAS_BACKEND=jax /tmp/kenv/bin/python tests/saving/golden/check_lamina_files_in_keras.py

Prints one line per model with the largest absolute difference between lamina's and Keras'
predictions, and exits with status 1 if any is above 1e-5 or a file fails to load.
"""

import os
import subprocess
import sys
import tempfile

import keras
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
ATOL = 1e-5


def main():
    out_dir = tempfile.mkdtemp(prefix="lamina-keras-files-")
    env = {**os.environ, "PYTHONPATH": os.path.join(ROOT, "src")}
    env.pop("KERAS_BACKEND", None)
    subprocess.run([os.path.join(ROOT, ".venv", "bin", "python"),
                    os.path.join(HERE, "write_lamina_files.py"), out_dir], check=True, env=env)
    data = np.load(os.path.join(out_dir, "predictions.npz"))
    names = sorted({key.split("/")[0] for key in data.files})
    failed = False
    for name in names:
        try:
            model = keras.saving.load_model(os.path.join(out_dir, f"{name}.keras"))
        except Exception as error:  # noqa: BLE001 (report every model, then fail)
            print(f"{name:20s} FAILED to load: {type(error).__name__}: {error}")
            failed = True
            continue
        xs = [data[f"{name}/x{i}"] for i in range(4) if f"{name}/x{i}" in data.files]
        ys = [data[f"{name}/y{i}"] for i in range(4) if f"{name}/y{i}" in data.files]
        outputs = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
        outputs = outputs if isinstance(outputs, list) else [outputs]
        diff = max(float(np.max(np.abs(np.asarray(o) - y))) for o, y in zip(outputs, ys))
        extra = ""
        if f"{name}/iterations" in data.files:
            iterations = int(model.optimizer.iterations.numpy())
            extra = f"  optimizer iterations {iterations} (lamina {int(data[name + '/iterations'])})"
            failed |= iterations != int(data[f"{name}/iterations"])
        status = "ok" if diff <= ATOL else "MISMATCH"
        failed |= diff > ATOL
        print(f"{name:20s} max |keras - lamina| = {diff:.2e}  {status}{extra}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
