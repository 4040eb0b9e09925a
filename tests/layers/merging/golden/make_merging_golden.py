"""Write `merging_golden.npz`: outputs (and output masks) of real Keras 3 merging layers.

Run with the Keras venv (lamina and its tests never import keras):

    KERAS_BACKEND=jax /tmp/kenv/bin/python tests/layers/merging/golden/make_merging_golden.py

Each case is a layer class, its config, seeded inputs (and optional input masks, attached as
Keras attaches them) and the output. `cases` (a JSON string) lists them; the arrays are stored
under `<case>/x0`, `<case>/mask0`, `<case>/y`, `<case>/out_mask`.
"""

import json
import pathlib

import jax.numpy as jnp
import numpy as np
from keras import layers
from keras.src.backend.common.masking import set_keras_mask

RNG = np.random.default_rng(1234)

# (name, class, config, input shapes, input masks: None or list of (bool array or None))
CASES = [
    ("add_two", "Add", {}, [(2, 3, 4), (2, 3, 4)], None),
    ("add_three", "Add", {}, [(2, 5), (2, 5), (2, 5)], None),
    ("add_broadcast", "Add", {}, [(2, 3, 4), (2, 1, 4)], None),
    ("add_rank_mismatch", "Add", {}, [(2, 4), (2, 3, 4)], None),
    ("subtract", "Subtract", {}, [(2, 3, 4), (2, 3, 1)], None),
    ("multiply_three", "Multiply", {}, [(2, 3), (2, 3), (2, 1)], None),
    ("average", "Average", {}, [(3, 2, 4), (3, 2, 4), (3, 1, 4)], None),
    ("maximum", "Maximum", {}, [(2, 6), (2, 6)], None),
    ("minimum_rank_mismatch", "Minimum", {}, [(2, 3, 2, 4), (2, 4)], None),
    ("concatenate_last", "Concatenate", {}, [(2, 3, 4), (2, 3, 2)], None),
    ("concatenate_axis1", "Concatenate", {"axis": 1}, [(2, 3, 4), (2, 1, 4), (2, 2, 4)], None),
    ("concatenate_axis0", "Concatenate", {"axis": 0}, [(2, 3), (1, 3)], None),
    ("dot_rank2", "Dot", {"axes": 1}, [(3, 4), (3, 4)], None),
    ("dot_rank2_normalize", "Dot", {"axes": -1, "normalize": True}, [(3, 4), (3, 4)], None),
    ("dot_axes_1_2", "Dot", {"axes": [1, 2]}, [(2, 3, 5), (2, 10, 3)], None),
    ("dot_axes_1_2_normalize", "Dot", {"axes": [1, 2], "normalize": True},
     [(2, 3, 5), (2, 4, 3)], None),
    ("dot_axes_2", "Dot", {"axes": 2}, [(2, 3, 4), (2, 5, 4)], None),
    ("dot_rank3_rank2", "Dot", {"axes": [2, 1]}, [(2, 3, 4), (2, 4)], None),
    ("dot_rank2_rank3", "Dot", {"axes": [1, 1]}, [(2, 4), (2, 4, 3)], None),
    ("dot_rank4_rank3", "Dot", {"axes": [-1, 1]}, [(2, 2, 3, 4), (2, 4, 5)], None),
    ("dot_negative_pair", "Dot", {"axes": [-2, -1]}, [(2, 3, 4), (2, 2, 3)], None),
]
M1 = np.array([[True, True, False, False], [True, False, True, False]])
M2 = np.array([[True, False, True, False], [False, False, True, True]])
MASKED = [
    ("add_masked", "Add", {}, [(2, 4, 3), (2, 4, 3)], [M1, M2]),
    ("multiply_masked_both", "Multiply", {}, [(2, 4, 3), (2, 4, 3)], [M1, M2]),
    ("multiply_masked_one", "Multiply", {}, [(2, 4, 3), (2, 4, 3)], [M1, None]),
    ("maximum_masked_both", "Maximum", {}, [(2, 4, 3), (2, 4, 3)], [M1, M2]),
    ("maximum_masked_second", "Maximum", {}, [(2, 4, 3), (2, 4, 3)], [None, M2]),
    ("minimum_masked_three", "Minimum", {}, [(2, 4, 3)] * 3, [M1, M2, M1 & M2]),
    ("concatenate_masked", "Concatenate", {"axis": 1}, [(2, 4, 3), (2, 4, 3)], [M1, None]),
    ("concatenate_masked_last", "Concatenate", {}, [(2, 4, 3), (2, 4, 2)], [M1, M2]),
]


def main():
    arrays, index = {}, []
    for name, cls, config, shapes, masks in CASES + MASKED:
        xs = [RNG.normal(size=s).astype("float32") for s in shapes]
        tensors = [jnp.asarray(x) for x in xs]
        if masks is not None:
            for t, m in zip(tensors, masks):
                if m is not None:
                    set_keras_mask(t, jnp.asarray(m))
        layer = getattr(layers, cls)(**config)
        y = np.asarray(layer(tensors))
        for i, x in enumerate(xs):
            arrays[f"{name}/x{i}"] = x
        if masks is not None:
            for i, m in enumerate(masks):
                if m is not None:
                    arrays[f"{name}/mask{i}"] = m
            out_mask = layer.compute_mask(
                tensors, [None if m is None else jnp.asarray(m) for m in masks])
            if out_mask is not None:
                arrays[f"{name}/out_mask"] = np.asarray(out_mask)
        arrays[f"{name}/y"] = y
        index.append({"name": name, "class": cls, "config": config, "inputs": len(xs),
                      "masks": None if masks is None else [m is not None for m in masks]})
    arrays["cases"] = np.array(json.dumps(index))
    path = pathlib.Path(__file__).with_name("merging_golden.npz")
    np.savez_compressed(path, **arrays)
    print(f"wrote {path} ({path.stat().st_size} bytes, {len(index)} cases)")


if __name__ == "__main__":
    main()
