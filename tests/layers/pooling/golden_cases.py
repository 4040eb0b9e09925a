"""The Keras golden cases of `golden/pooling_golden.npz` (see `golden/make_pooling_golden.py`)."""

import json
import os

import numpy as np
import torch

_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden", "pooling_golden.npz")


def load(prefix=""):
    """`[(id, class_name, config, input, mask_or_None, expected)]` for the classes whose name
    starts with `prefix`, as torch tensors."""
    data = np.load(_PATH)
    found = []
    for i, (name, config) in enumerate(json.loads(str(data["cases"]))):
        if name.startswith(prefix):
            mask = torch.from_numpy(data[f"mask_{i}"]) if f"mask_{i}" in data else None
            found.append((f"{i}-{name}", name, config, torch.from_numpy(data[f"input_{i}"]),
                          mask, torch.from_numpy(data[f"output_{i}"])))
    return found
