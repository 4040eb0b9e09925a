"""`Merge`: the base class of the layers that combine a list of tensors element by element.

Broadcasting follows Keras: the batch axes must agree, and the other axes broadcast as in
numpy, aligned from the right. When the inputs differ in rank, the shorter ones gain size-1
axes right after the batch axis (`(batch, 4)` meets `(batch, 3, 4)` as `(batch, 1, 4)`), which
is what right alignment means once the batch axis is set aside. The check runs once, in
`build`; `call` only indexes (views) and applies the merge.
"""

from lamina.layers.layer import Layer


def is_shape_list(input_shape):
    """Whether `input_shape` is a list (or tuple) of shapes, as a merge layer receives."""
    return (
        isinstance(input_shape, (list, tuple))
        and len(input_shape) > 0
        and all(isinstance(s, (list, tuple)) for s in input_shape)
    )


def broadcast_shapes(owner, shape1, shape2):
    """The numpy-style broadcast of two shapes (without batch axes), `None` for unknown dims.

    Raises:
        ValueError: naming both shapes, when two known dimensions differ and neither is 1.
    """
    if len(shape1) < len(shape2):
        shape1, shape2 = shape2, shape1
    if not shape2:
        return tuple(shape1)
    output = list(shape1[: len(shape1) - len(shape2)])
    for i, j in zip(shape1[len(shape1) - len(shape2):], shape2):
        if i is None or j is None:
            output.append(None)
        elif i == 1 or j == 1:
            output.append(j if i == 1 else i)
        elif i != j:
            raise ValueError(
                f"`{type(owner).__name__}` expects inputs with broadcast-compatible shapes. "
                f"Received shapes {tuple(shape1)} and {tuple(shape2)} (batch axis left out)."
            )
        else:
            output.append(i)
    return tuple(output)


def check_mask_list(inputs, mask):
    """Raise Keras' errors when `mask` is not a list matching `inputs` one to one (a
    `TypeError` where Keras raises a `ValueError` for a non-list, as lamina's errors do)."""
    if not isinstance(mask, (list, tuple)):
        raise TypeError(f"`mask` should be a list. Received: mask={mask!r}")
    if not isinstance(inputs, (list, tuple)):
        raise TypeError(f"`inputs` should be a list. Received: inputs={inputs!r}")
    if len(mask) != len(inputs):
        raise ValueError(
            "The lists `inputs` and `mask` should have the same length. Received: "
            f"{len(inputs)} inputs and {len(mask)} masks."
        )


class Merge(Layer):
    """Base class of the element-wise merge layers (`Add`, `Multiply`, `Maximum`, ...).

    Subclasses implement `_merge_function(inputs, mask)`, which receives the inputs already
    brought to the same rank; `mask` is the list of their masks or `None`.

    Args:
        **kwargs: Base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: A list of at least one tensor, `(batch, ...)`, broadcast-compatible.
        mask: Optional list of boolean masks, one per input (`None` where an input has none),
            each of the input's shape less its last axis (e.g. `(batch, timesteps)`).
            Defaults to `None`.

    Output shape:
        The broadcast shape of the inputs.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self._expand = None  # per input: an index adding size-1 axes after the batch axis

    def build(self, input_shape):
        name = type(self).__name__
        if not is_shape_list(input_shape):
            raise ValueError(
                f"A merge layer (`{name}`) should be called on a list of inputs. "
                f"Received: input_shape={input_shape} (not a list of shapes)"
            )
        batch_sizes = {s[0] for s in input_shape if s} - {None}
        if len(batch_sizes) > 1:
            raise ValueError(
                f"`{name}` cannot merge tensors with different batch sizes. Received tensors "
                f"with shapes {[tuple(s) for s in input_shape]}"
            )
        output_shape = tuple(input_shape[0][1:])
        for shape in input_shape[1:]:
            output_shape = broadcast_shapes(self, output_shape, tuple(shape[1:]))
        ranks = [len(s) for s in input_shape]
        top = max(ranks)
        if len(set(ranks)) > 1:
            self._expand = [
                None if rank == top else (slice(None),) + (None,) * (top - rank)
                for rank in ranks
            ]
        self.built = True

    def call(self, inputs, mask=None):
        if self._expand is not None:  # inputs of different ranks: (batch, 1, ..., *shape)
            inputs = [x if e is None else x[e] for x, e in zip(inputs, self._expand)]
        return self._merge_function(inputs, mask)

    def compute_mask(self, inputs, mask=None):
        """The output mask: the element-wise OR of the input masks, `None` if any is `None`."""
        if mask is None:
            return None
        check_mask_list(inputs, mask)
        if any(m is None for m in mask):
            return None
        output = mask[0]
        for m in mask[1:]:
            output = output | m
        return output
