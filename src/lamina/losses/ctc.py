"""Connectionist temporal classification (CTC) loss, with Keras' argument conventions, on
`torch.nn.functional.ctc_loss`.

Keras' convention: `y_true` is `(batch, max_label_length)` integer labels padded with 0, class 0
is also the blank, and every sample uses all `max_time` steps of `y_pred`,
`(batch, max_time, num_classes)` logits (not probabilities: a softmax is applied here). A
sample's label length is its number of non-zero labels.

Host sync: torch's CTC kernels read the label lengths on the host, so on an accelerator this
loss waits for the device once per call; it is the only built-in loss that does.
"""

import torch
import torch.nn.functional as F

from lamina.losses.loss import convert_pred
from lamina.losses.losses import _BuiltinLoss
from lamina.registry import register

_BLANK = 0


@register("keras.losses")
def ctc(y_true, y_pred):
    """The CTC loss (negative log-likelihood of the labels) of each sample.

    Args:
        y_true: Integer labels, `(batch, max_label_length)`, padded with 0 (the blank).
        y_pred: Logits, `(batch, max_time, num_classes)`.

    Returns:
        The loss per sample, `(batch,)`. An impossible alignment (a label that needs more time
        steps than `max_time`) gives `inf`.

    Raises:
        ValueError: If `y_true` is not of rank 2 or `y_pred` not of rank 3.

    Example:
    >>> import torch
    >>> ctc(torch.tensor([[1, 0]]), torch.zeros(1, 2, 3))  # 3 of the 9 paths give [1]
    tensor([1.0986])
    """
    y_pred = convert_pred(y_pred, like=y_true)
    labels = torch.as_tensor(y_true, device=y_pred.device)
    if labels.dim() != 2:
        raise ValueError("`ctc` expects `y_true` of shape (batch_size, max_length), integer "
                         f"labels padded with 0. Received: y_true.shape={tuple(labels.shape)}.")
    if y_pred.dim() != 3:
        raise ValueError("`ctc` expects `y_pred` of shape (batch_size, max_length, num_classes),"
                         f" logits. Received: y_pred.shape={tuple(y_pred.shape)}.")
    labels = labels.long()
    batch, time = y_pred.shape[0], y_pred.shape[1]
    if y_pred.dtype in (torch.float16, torch.bfloat16):
        y_pred = y_pred.float()  # Keras computes CTC in float32 at least, as torch's kernel does
    log_probs = F.log_softmax(y_pred, dim=-1).transpose(0, 1)  # (time, batch, classes)
    input_lengths = torch.full((batch,), time, dtype=torch.long, device=y_pred.device)
    label_lengths = (labels != _BLANK).sum(dim=-1)
    return F.ctc_loss(log_probs, labels, input_lengths, label_lengths, blank=_BLANK,
                      reduction="none")


@register("keras.losses")
class CTC(_BuiltinLoss):
    """`ctc` loss reduced over the batch (see `Loss`).

    Example:
    >>> import torch
    >>> CTC()(torch.tensor([[1, 2], [1, 0]]), torch.zeros(2, 3, 3)).shape
    torch.Size([])
    """

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(ctc, reduction, name, dtype)
