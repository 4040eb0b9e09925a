"""Element-wise merge layers: `Add`, `Subtract`, `Multiply`, `Average`, `Maximum`, `Minimum`,
and their functional forms (`add`, `subtract`, ...).

All take a list of broadcast-compatible tensors (see `Merge`) and return one tensor of their
broadcast shape. Masks, when given, follow Keras: `Add`, `Subtract` and `Average` ignore them in
the computation; `Multiply` treats masked entries as 1 (and zeroes the output where every input
is masked); `Maximum` and `Minimum` skip masked entries. Every layer's output mask is the OR of
the input masks (`Merge.compute_mask`).
"""

import torch

from lamina.layers.merging.base_merge import Merge
from lamina.registry import register


@register("keras.layers")
class Add(Merge):
    """Adds a list of inputs element-wise.

    See `Merge` for the arguments, broadcasting and masks.

    Example:
    >>> import torch, lamina as keras
    >>> keras.layers.Add()([torch.ones(2, 3), torch.full((2, 3), 2.0)]).tolist()
    [[3.0, 3.0, 3.0], [3.0, 3.0, 3.0]]
    """

    def _merge_function(self, inputs, mask):
        output = inputs[0]
        for x in inputs[1:]:
            output = output + x
        return output


@register("keras.layers")
class Subtract(Merge):
    """Subtracts two inputs element-wise: `inputs[0] - inputs[1]`.

    See `Merge` for the arguments, broadcasting and masks.

    Example:
    >>> import torch, lamina as keras
    >>> keras.layers.Subtract()([torch.tensor([[5.0, 1.0]]), torch.tensor([[2.0, 3.0]])])
    tensor([[ 3., -2.]])
    """

    def build(self, input_shape):
        super().build(input_shape)
        if len(input_shape) != 2:
            raise ValueError(
                "A `Subtract` layer should be called on exactly 2 inputs. "
                f"Received: input_shape={[tuple(s) for s in input_shape]}"
            )

    def _merge_function(self, inputs, mask):
        return inputs[0] - inputs[1]


@register("keras.layers")
class Multiply(Merge):
    """Multiplies a list of inputs element-wise.

    See `Merge` for the arguments and broadcasting. With masks, a masked entry counts as 1;
    when every input has a mask, entries masked in all of them are 0.

    Example:
    >>> import torch, lamina as keras
    >>> keras.layers.Multiply()([torch.tensor([[2.0, 3.0]]), torch.tensor([[4.0, -1.0]])])
    tensor([[ 8., -3.]])
    """

    def _merge_function(self, inputs, mask):
        if mask is None:
            output = inputs[0]
            for x in inputs[1:]:
                output = output * x
            return output
        has_output_mask = all(m is not None for m in mask)
        output = output_mask = None
        for x, m in zip(inputs, mask):
            if m is not None:
                m = m.unsqueeze(-1)  # (batch, ..., 1): one flag for every feature
                x = torch.where(m, x, 1.0)
                if has_output_mask:
                    output_mask = m if output_mask is None else output_mask | m
            output = x if output is None else output * x
        if has_output_mask:
            output = torch.where(output_mask, output, 0.0)
        return output


@register("keras.layers")
class Average(Merge):
    """Averages a list of inputs element-wise.

    See `Merge` for the arguments, broadcasting and masks.

    Example:
    >>> import torch, lamina as keras
    >>> keras.layers.Average()([torch.tensor([[1.0, 2.0]]), torch.tensor([[3.0, 6.0]])])
    tensor([[2., 4.]])
    """

    def _merge_function(self, inputs, mask):
        output = inputs[0]
        for x in inputs[1:]:
            output = output + x
        return output / len(inputs)


def _masked_reduce(op, inputs, mask):
    """Fold `op` over `inputs`, skipping masked entries, as Keras' `Maximum`/`Minimum` do.

    Where an input is masked, the running result is kept; where the running result is masked,
    the input replaces it. The running mask is the OR of the masks, lost (`None`) as soon as one
    input has no mask.
    """
    if mask is None:
        output = inputs[0]
        for x in inputs[1:]:
            output = op(output, x)
        return output
    output = output_mask = None
    for index, (x, m) in enumerate(zip(inputs, mask)):
        if m is not None:
            m = m.unsqueeze(-1)  # (batch, ..., 1): one flag for every feature
        if index == 0:
            output, output_mask = x, m
            continue
        if m is not None:
            x = torch.where(m, x, output)
        if output_mask is not None:
            output = torch.where(output_mask, output, x)
        output_mask = None if m is None or output_mask is None else output_mask | m
        output = op(output, x)
    return output


@register("keras.layers")
class Maximum(Merge):
    """Element-wise maximum of a list of inputs.

    See `Merge` for the arguments and broadcasting. Masked entries are skipped.

    Example:
    >>> import torch, lamina as keras
    >>> keras.layers.Maximum()([torch.tensor([[1.0, 5.0]]), torch.tensor([[3.0, 2.0]])])
    tensor([[3., 5.]])
    """

    def _merge_function(self, inputs, mask):
        return _masked_reduce(torch.maximum, inputs, mask)


@register("keras.layers")
class Minimum(Merge):
    """Element-wise minimum of a list of inputs.

    See `Merge` for the arguments and broadcasting. Masked entries are skipped.

    Example:
    >>> import torch, lamina as keras
    >>> keras.layers.Minimum()([torch.tensor([[1.0, 5.0]]), torch.tensor([[3.0, 2.0]])])
    tensor([[1., 2.]])
    """

    def _merge_function(self, inputs, mask):
        return _masked_reduce(torch.minimum, inputs, mask)


def add(inputs, **kwargs):
    """Functional form of `Add`: `Add(**kwargs)(inputs)`.

    Args:
        inputs: A list of broadcast-compatible tensors.
        **kwargs: Base layer arguments (`name`, ...).

    Returns:
        The element-wise sum of the inputs.
    """
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """Functional form of `Subtract`: `Subtract(**kwargs)(inputs)`.

    Args:
        inputs: A list of exactly two broadcast-compatible tensors.
        **kwargs: Base layer arguments (`name`, ...).

    Returns:
        `inputs[0] - inputs[1]`.
    """
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Functional form of `Multiply`: `Multiply(**kwargs)(inputs)`.

    Args:
        inputs: A list of broadcast-compatible tensors.
        **kwargs: Base layer arguments (`name`, ...).

    Returns:
        The element-wise product of the inputs.
    """
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Functional form of `Average`: `Average(**kwargs)(inputs)`.

    Args:
        inputs: A list of broadcast-compatible tensors.
        **kwargs: Base layer arguments (`name`, ...).

    Returns:
        The element-wise mean of the inputs.
    """
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """Functional form of `Maximum`: `Maximum(**kwargs)(inputs)`.

    Args:
        inputs: A list of broadcast-compatible tensors.
        **kwargs: Base layer arguments (`name`, ...).

    Returns:
        The element-wise maximum of the inputs.
    """
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """Functional form of `Minimum`: `Minimum(**kwargs)(inputs)`.

    Args:
        inputs: A list of broadcast-compatible tensors.
        **kwargs: Base layer arguments (`name`, ...).

    Returns:
        The element-wise minimum of the inputs.
    """
    return Minimum(**kwargs)(inputs)
