"""Circle loss (Sun et al., 2020): a metric-learning loss on L2-normalised embeddings.

Every pair of a batch (or of the batch and a reference set) is scored by its cosine distance
`d = max(1 - cos, 0)`. Pairs of the same label (positives) should be close, the others
(negatives) far; each pair is re-weighted by how far it is from its optimum, and one sample's
loss is `softplus(logsumexp(positive terms) + logsumexp(negative terms))`. Samples with no
positive pair give 0 and are masked out of the mean, as in Keras.
"""

import torch
import torch.nn.functional as F

from lamina.losses.loss import convert_pred
from lamina.losses.losses import _BuiltinLoss
from lamina.registry import register


def _as_column(labels, device):
    labels = torch.as_tensor(labels, device=device).long()  # Keras casts to int32
    return labels.reshape(-1, 1) if labels.dim() == 1 else labels  # (n, 1)


@register("keras.losses")
def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True,
           gamma=80, margin=0.4):
    """The circle loss of each sample.

    Args:
        y_true: Integer labels, `(batch,)` or `(batch, 1)`.
        y_pred: L2-normalised embeddings, `(batch, dim)`.
        ref_labels: Labels of the reference embeddings. Defaults to `None` (`y_true`).
        ref_embeddings: L2-normalised reference embeddings, `(num_refs, dim)`. Defaults to
            `None` (`y_pred`).
        remove_diagonal: Whether a sample is left out of its own positive pairs. Defaults to
            `True`.
        gamma: The scale of the similarity scores. Defaults to `80`.
        margin: The relaxation margin. Defaults to `0.4`.

    Returns:
        The loss per sample, `(batch,)`, masked (`_keras_mask`) where it is 0.

    Example:
    >>> import torch
    >>> embeddings = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    >>> circle(torch.tensor([0, 0, 1, 1]), embeddings, gamma=1.0)
    tensor([0.8970, 0.8970, 0.8970, 0.8970])
    """
    y_pred = convert_pred(y_pred, like=y_true)
    labels = _as_column(y_true, y_pred.device)
    refs = y_pred if ref_embeddings is None else convert_pred(ref_embeddings, y_pred.dtype,
                                                              like=y_pred)
    ref_labels = labels if ref_labels is None else _as_column(ref_labels, y_pred.device)
    distances = (1.0 - y_pred @ refs.T).clamp_min(0.0)  # (batch, num_refs)
    same = labels == ref_labels.T  # (batch, num_refs)
    negative = ~same
    positive = same
    if remove_diagonal:
        positive = same & ~torch.eye(labels.numel(), ref_labels.numel(), dtype=torch.bool,
                                     device=same.device)
    # The re-weighting factors (margin + d for positives, 1 + margin - d for negatives), zero
    # outside their pairs and never negative, times the gaps to the decision boundaries.
    pos_terms = -gamma * ((margin + distances) * positive).clamp_min(0.0) * (margin - distances)
    neg_terms = gamma * ((1.0 + margin - distances) * negative).clamp_min(0.0) \
        * ((1.0 - margin) - distances)
    minus_inf = float("-inf")
    loss = F.softplus(torch.logsumexp(torch.where(positive, pos_terms, minus_inf), dim=1)
                      + torch.logsumexp(torch.where(negative, neg_terms, minus_inf), dim=1))
    loss._keras_mask = loss > 0
    return loss


@register("keras.losses")
class Circle(_BuiltinLoss):
    """`circle` loss reduced over the batch (see `Loss`); samples of loss 0 (no positive pair)
    are left out of the default mean.

    Feed it L2-normalised embeddings, e.g. a `Dense(dim)` layer without activation followed by
    `UnitNormalization()`.

    Args:
        gamma: The scale of the similarity scores. Defaults to `80.0`.
        margin: The relaxation margin. Defaults to `0.4`.
        remove_diagonal: Whether a sample is left out of its own positive pairs. Defaults to
            `True`.
    """

    def __init__(self, gamma=80.0, margin=0.4, remove_diagonal=True,
                 reduction="sum_over_batch_size", name="circle", dtype=None):
        super().__init__(circle, reduction, name, dtype, gamma=gamma, margin=margin,
                         remove_diagonal=remove_diagonal)
