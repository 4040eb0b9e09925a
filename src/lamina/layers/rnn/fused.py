"""The fast path: a whole recurrent layer in one call of torch's fused kernel.

`torch.lstm`, `torch.gru`, `torch.rnn_tanh` and `torch.rnn_relu` (what `nn.LSTM`, `nn.GRU` and
`nn.RNN` run: cuDNN on GPU, oneDNN or a native loop on CPU) compute every time step without a
Python loop. They take the weights in torch's layout, which the built-in cells store (see
`base_rnn_cell.py`); only `GRUCell` reorders its gates per call (Keras' `z, r, h` to torch's
`r, z, n`), a gather of the weights, not of the activations.

Which configurations take the fast path (`RNN._fused_kind`), otherwise the step loop in
`rnn.py` (whose results are the same, see the tests):

- `LSTM`: `activation="tanh"`, `recurrent_activation="sigmoid"`.
- `GRU`: the same, and `reset_after=True` (Keras 3's default; torch has no `reset_after=False`
  kernel).
- `SimpleRNN`: `activation="tanh"` or `"relu"`.
- and for all three: `recurrent_dropout=0` (input `dropout` is fine: one mask per sequence,
  applied before the kernel), `unroll=False`, `use_cudnn` not `False`, with or without bias,
  stateful or not, forwards or backwards.
- Masks: none, or right-padded ones (each row `True` then `False`, as `pad_sequences` with
  `padding="post"` and `Embedding(mask_zero=True)` produce), run as packed sequences. Finding
  out whether a mask is right-padded reads it on the host: the one device synchronisation of
  the fast path, made only when a mask is given. Other masks, and any mask while
  `torch.compile` traces or shapes are inferred, take the step loop.
- `LSTM` while `torch.compile` traces: the step loop, because torch's CPU LSTM kernel cannot be
  traced with gradients (its oneDNN decomposition fails in AOTAutograd, torch 2.x).

The results follow Keras' semantics exactly: masked steps keep the state and output the
previous output (or zeros with `zero_output_for_mask`), `go_backwards` returns the outputs in
processing (reversed) order.
"""

import torch
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

_KERNELS = {"lstm": torch.lstm, "gru": torch.gru, "rnn_tanh": torch.rnn_tanh,
            "rnn_relu": torch.rnn_relu}


def _run(kind, inputs, states, weights, batch_sizes=None):
    """One call of the fused kernel: `(outputs, final_states)`.

    `inputs` is `(batch, time, features)`, or the data of a packed sequence when
    `batch_sizes` is given; `states` is a list of `(batch, units)` tensors.
    """
    hx = [s.unsqueeze(0) for s in states]  # (layers=1, batch, units)
    hx = tuple(hx) if kind == "lstm" else hx[0]
    has_biases = len(weights) == 4
    # cuDNN keeps what backward needs only in training mode.
    train = torch.is_grad_enabled()
    if batch_sizes is None:
        result = _KERNELS[kind](inputs, hx, weights, has_biases, 1, 0.0, train, False, True)
    else:
        result = _KERNELS[kind](inputs, batch_sizes, hx, weights, has_biases, 1, 0.0, train,
                                False)
    return result[0], [s.squeeze(0) for s in result[1:]]


def fused_rnn(kind, sequences, states, weights, go_backwards=False, mask=None,
              zero_output_for_mask=False):
    """A recurrent layer through torch's fused kernel, with Keras' semantics.

    Args:
        kind: `"lstm"`, `"gru"`, `"rnn_tanh"` or `"rnn_relu"`.
        sequences: `(batch, time, features)`.
        states: initial states, a list of `(batch, units)` (`[h, c]` for the LSTM).
        weights: `[w_ih, w_hh]` or `[w_ih, w_hh, b_ih, b_hh]` in torch's layout.
        go_backwards: process the sequence from its end; outputs stay in processing order.
        mask: `None` or a boolean `(batch, time)` mask.
        zero_output_for_mask: masked steps output zeros instead of the previous output.

    Returns:
        `(last_output, outputs, final_states)`, or `None` when `mask` is not right-padded
        (the caller then runs the step loop).
    """
    if mask is None:
        if go_backwards:
            sequences = sequences.flip(1)
        outputs, final = _run(kind, sequences, states, weights)  # (batch, time, units)
        return outputs[:, -1], outputs, final
    return _fused_masked(kind, sequences, states, weights, go_backwards, mask,
                         zero_output_for_mask)


def _fused_masked(kind, sequences, states, weights, go_backwards, mask, zero_output_for_mask):
    time = sequences.shape[1]
    lengths = mask.sum(1)  # (batch,)
    steps = torch.arange(time, device=mask.device)
    valid = steps < lengths[:, None]  # (batch, time): the right-padded mask of these lengths
    check = torch.cat([(valid == mask).all().view(1).long(), lengths.long()])
    check = check.cpu()  # host-device sync: is the mask right-padded, and the lengths
    if not check[0]:
        return None
    cpu_lengths = check[1:]
    if go_backwards:  # each row's valid steps, last first, at the front
        order = torch.where(valid, lengths[:, None] - 1 - steps, steps)  # (batch, time)
        sequences = sequences.gather(1, order[:, :, None].expand_as(sequences))
    # pack_padded_sequence rejects empty rows: run them with length 1 and restore them below.
    packed = pack_padded_sequence(sequences, cpu_lengths.clamp(min=1), batch_first=True,
                                  enforce_sorted=False)
    sorted_states = [s.index_select(0, packed.sorted_indices) for s in states]
    data, final = _run(kind, packed.data, sorted_states, weights, packed.batch_sizes)
    compact, _ = pad_packed_sequence(
        PackedSequence(data, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices),
        batch_first=True, total_length=time,
    )  # (batch, time, units): each row's valid steps first, in processing order
    empty = (lengths == 0)[:, None]
    final = [torch.where(empty, s, f.index_select(0, packed.unsorted_indices))
             for s, f in zip(states, final)]
    if go_backwards:  # in processing order the padding comes first
        valid = steps >= time - lengths[:, None]
        source = (steps - (time - lengths[:, None])).clamp(min=0)
        compact = compact.gather(1, source[:, :, None].expand_as(compact))
        fill = states[0]  # masked steps before any valid one output the initial state
    else:
        fill = final[0]  # masked steps after the last valid one repeat its output
    fill = torch.zeros_like(fill) if zero_output_for_mask else fill
    outputs = torch.where(valid[:, :, None], compact, fill[:, None])
    return outputs[:, -1], outputs, final
