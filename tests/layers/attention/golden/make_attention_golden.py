"""Write `attention_golden.npz`: real Keras 3 outputs of Embedding, Masking, Attention,
AdditiveAttention and MultiHeadAttention (and MultiHeadAttention gradients).

Run with the Keras venv (lamina and its tests never import keras):

    KERAS_BACKEND=jax /tmp/kenv/bin/python tests/layers/attention/golden/make_attention_golden.py

Each case: a layer class, its config, seeded inputs, masks and weights (set with
`set_weights`, Keras' layout), call options, and the outputs. `cases` (a JSON string) lists
them; arrays live under `<case>/x0`, `<case>/w0`, `<case>/y`, `<case>/scores`,
`<case>/out_mask`, masks under `<case>/<mask name>`, and for gradient cases `<case>/r` (the
cotangent: the loss is `sum(output * r)`), `<case>/gw<i>` (per weight) and `<case>/gx<i>`.
Query masks of MultiHeadAttention are attached to the query as Keras attaches them
(`set_keras_mask`), because Keras 3 reads the query's mask from the tensor.
"""

import json
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
from keras import layers
from keras.src.backend.common.masking import set_keras_mask

RNG = np.random.default_rng(2024)
ARRAYS = {}
CASES = []


def normal(*shape):
    return RNG.normal(size=shape).astype("float32")


def bool_mask(*shape, keep=0.7):
    """A random boolean mask whose last axis always keeps its first step."""
    mask = RNG.random(shape) < keep
    mask[..., 0] = True
    return mask


def record(name, cls, config, inputs, call="list", masks=None, options=None, grads=False):
    """Build `cls(**config)`, seed its weights, run it and store everything under `name`."""
    layer = getattr(layers, cls)(**config)
    call = "mha" if cls == "MultiHeadAttention" else call
    masks = masks or {}
    options = options or {}
    for i, x in enumerate(inputs):
        ARRAYS[f"{name}/x{i}"] = x
    for key, value in masks.items():
        ARRAYS[f"{name}/{key}"] = value

    def run(weights_free=None, *xs):
        if call == "single":
            return layer(xs[0])
        if call == "list":
            mask = None
            if masks:
                mask = [masks.get("query_mask"), masks.get("value_mask")]
            return layer(list(xs), mask=mask, **options)
        query = jnp.asarray(xs[0])
        if "query_mask" in masks:
            set_keras_mask(query, jnp.asarray(masks["query_mask"]))
        rest = {k: v for k, v in masks.items() if k != "query_mask"}
        key = {"key": xs[2]} if len(xs) > 2 else {}
        return layer(query, xs[1], **key, **rest, **options)

    run(None, *inputs)  # builds the layer
    weights = [normal(*w.shape) * 0.5 for w in layer.get_weights()]
    layer.set_weights(weights)
    for i, w in enumerate(weights):
        ARRAYS[f"{name}/w{i}"] = w
    outputs = run(None, *inputs)
    if isinstance(outputs, tuple):
        outputs, scores = outputs
        ARRAYS[f"{name}/scores"] = np.asarray(scores)
    ARRAYS[f"{name}/y"] = np.asarray(outputs)
    if cls in ("Embedding", "Masking"):
        out_mask = layer.compute_mask(jnp.asarray(inputs[0]))
        if out_mask is not None:
            ARRAYS[f"{name}/out_mask"] = np.asarray(out_mask)
    if grads:
        cotangent = normal(*np.shape(outputs))
        ARRAYS[f"{name}/r"] = cotangent
        rest = {k: jnp.asarray(v) for k, v in masks.items()}
        def loss(trainable, *xs):
            key = {"key": xs[2]} if len(xs) > 2 else {}
            out, _ = layer.stateless_call(trainable, [], xs[0], xs[1], **key, **rest, **options)
            if isinstance(out, tuple):
                out = out[0]
            return jnp.sum(out * cotangent)

        values = [v.value for v in layer.trainable_variables]
        assert [tuple(v.shape) for v in values] == [w.shape for w in weights]
        argnums = tuple(range(len(inputs) + 1))
        gradients = jax.grad(loss, argnums=argnums)(values, *map(jnp.asarray, inputs))
        for i, g in enumerate(gradients[0]):
            ARRAYS[f"{name}/gw{i}"] = np.asarray(g)
        for i, g in enumerate(gradients[1:]):
            ARRAYS[f"{name}/gx{i}"] = np.asarray(g)
    CASES.append({"name": name, "class": cls, "config": config, "inputs": len(inputs),
                  "call": call, "masks": sorted(masks), "options": options, "grads": grads})


def embedding_and_masking():
    tokens = RNG.integers(0, 7, size=(3, 5)).astype("int32")
    tokens[:, -2:] = 0
    record("embedding_mask_zero", "Embedding", {"input_dim": 7, "output_dim": 3,
                                                "mask_zero": True}, [tokens], call="single")
    floats = RNG.integers(0, 5, size=(2, 2, 3)).astype("float32")
    record("embedding_float_rank3", "Embedding", {"input_dim": 5, "output_dim": 4}, [floats],
           call="single")
    x = normal(3, 4, 2)
    x[0, 1] = 0.0
    x[2, 3] = 0.0
    x[1, 2, 0] = 0.0  # one zero feature: kept
    record("masking_zero", "Masking", {}, [x], call="single")
    y = normal(2, 3, 2)
    y[0, 0] = 0.5
    y[1, 2, 1] = 0.5
    record("masking_value", "Masking", {"mask_value": 0.5}, [y], call="single")


def attention():
    q, v, k = normal(2, 3, 4), normal(2, 5, 4), normal(2, 5, 4)
    qm, vm = bool_mask(2, 3), bool_mask(2, 5)
    scores = {"return_attention_scores": True}
    record("attention_dot", "Attention", {}, [q, v], options=scores)
    record("attention_dot_scale_key_masks", "Attention", {"use_scale": True}, [q, v, k],
           masks={"query_mask": qm, "value_mask": vm}, options=scores)
    record("attention_dot_scale_masks_fused", "Attention", {"use_scale": True}, [q, v, k],
           masks={"query_mask": qm, "value_mask": vm})
    s = normal(2, 4, 4)
    record("attention_causal_fused", "Attention", {}, [s, s],
           masks={"value_mask": bool_mask(2, 4)}, options={"use_causal_mask": True})
    record("attention_causal_scores", "Attention", {"use_scale": True}, [s, s],
           options={"use_causal_mask": True, **scores})
    record("attention_concat_scale_causal", "Attention",
           {"score_mode": "concat", "use_scale": True}, [s, normal(2, 4, 4)],
           options={"use_causal_mask": True, **scores})
    record("attention_concat_masks", "Attention", {"score_mode": "concat"}, [q, v],
           masks={"query_mask": qm, "value_mask": vm})
    record("additive_masks_scores", "AdditiveAttention", {}, [q, v],
           masks={"query_mask": qm, "value_mask": vm}, options=scores)
    record("additive_no_scale_key_causal", "AdditiveAttention", {"use_scale": False},
           [s, normal(2, 4, 4), normal(2, 4, 4)], options={"use_causal_mask": True})


def multi_head_attention():
    q, v, k = normal(2, 4, 5), normal(2, 6, 5), normal(2, 6, 3)
    attention_mask = bool_mask(2, 4, 6)
    scores = {"return_attention_scores": True}
    record("mha_attention_mask_scores", "MultiHeadAttention", {"num_heads": 2, "key_dim": 3},
           [q, v], masks={"attention_mask": attention_mask}, options=scores, grads=True)
    record("mha_masks_fused", "MultiHeadAttention", {"num_heads": 2, "key_dim": 3}, [q, v],
           masks={"attention_mask": attention_mask, "value_mask": bool_mask(2, 6)},
           grads=True)
    s = normal(2, 5, 6)
    # Keras' fused path on JAX needs value_dim == key_dim; the explicit path does not.
    record("mha_causal_fused", "MultiHeadAttention",
           {"num_heads": 3, "key_dim": 2, "output_shape": 7}, [s, s],
           options={"use_causal_mask": True}, grads=True)
    record("mha_causal_scores", "MultiHeadAttention",
           {"num_heads": 3, "key_dim": 2, "value_dim": 4, "output_shape": 7}, [s, s],
           options={"use_causal_mask": True, **scores}, grads=True)
    record("mha_key_mask_no_bias", "MultiHeadAttention",
           {"num_heads": 2, "key_dim": 2, "use_bias": False}, [q, v, k],
           masks={"key_mask": bool_mask(2, 6)}, options=scores)
    record("mha_query_value_masks", "MultiHeadAttention", {"num_heads": 2, "key_dim": 3},
           [q, v], masks={"query_mask": np.array([[1, 1, 0, 1], [1, 1, 1, 0]], bool),
                          "value_mask": bool_mask(2, 6)}, options=scores)
    image = normal(2, 3, 4, 5)
    record("mha_4d_axis2_mask", "MultiHeadAttention",
           {"num_heads": 2, "key_dim": 3, "attention_axes": (2,)}, [image, image],
           masks={"attention_mask": bool_mask(2, 3, 4, 4)}, options=scores, grads=True)
    record("mha_4d_axes12_output_shape", "MultiHeadAttention",
           {"num_heads": 2, "key_dim": 3, "output_shape": (2, 3)}, [image, normal(2, 3, 4, 4)],
           options=scores, grads=True)
    record("mha_gate", "MultiHeadAttention",
           {"num_heads": 2, "key_dim": 3, "use_gate": True}, [q, v], grads=True)
    record("mha_sliding_window_causal", "MultiHeadAttention",
           {"num_heads": 2, "key_dim": 3, "sliding_window": 2}, [s, s],
           options={"use_causal_mask": True, **scores})


def main():
    embedding_and_masking()
    attention()
    multi_head_attention()
    path = pathlib.Path(__file__).with_name("attention_golden.npz")
    np.savez_compressed(path, cases=json.dumps(CASES), **ARRAYS)
    print(f"wrote {path} ({path.stat().st_size} bytes, {len(CASES)} cases)")


if __name__ == "__main__":
    main()
