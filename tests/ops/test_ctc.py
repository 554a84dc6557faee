"""`ops.ctc_loss` and `ops.ctc_decode`: the loss against a float64 brute force over every
alignment, gradients against central finite differences, one tape node, Keras 3 golden
values (losses, gradients, decoded paths) and bad input."""

import itertools
import os

import numpy as np
import pytest

from kerasx import GradientTape, Variable, ops
from kerasx.backends import current
from kerasx.testing import check_gradients, float64
from tests.golden.loader import GOLDEN_DIR, case_ids, load_cases


# -- the float64 reference: every alignment of a tiny case, enumerated -----------------------

def np_log_softmax(z):
    shifted = z - z.max(-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))


def collapse(path, blank):
    """The label sequence an alignment reads: repeats merged, then blanks dropped."""
    merged = [k for i, k in enumerate(path) if i == 0 or k != path[i - 1]]
    return tuple(k for k in merged if k != blank)


def brute_force_ctc(target, logits, target_length, output_length, blank=0):
    """-log of the total probability of the alignments that read each sample's label."""
    losses = []
    for b in range(logits.shape[0]):
        steps = int(output_length[b])
        label = tuple(int(k) for k in target[b, :target_length[b]])
        log_probs = np_log_softmax(logits[b, :steps].astype(np.float64))
        total = 0.0
        for path in itertools.product(range(logits.shape[2]), repeat=steps):
            if collapse(path, blank) == label:
                total += np.exp(sum(log_probs[t, k] for t, k in enumerate(path)))
        losses.append(-np.log(total))
    return np.array(losses)


RNG = np.random.default_rng(5)

# (target, target_length, output_length, num_classes, mask_index); time axis of 5
POSSIBLE = {
    "distinct": ([[1, 2], [2, 1], [1, 0]], [2, 2, 1], [5, 4, 3], 3, 0),
    "repeats": ([[1, 1], [2, 2], [1, 1]], [2, 2, 2], [5, 3, 4], 3, 0),
    "lengths_and_padding": ([[2, 1, 2], [1, 2, 2], [2, 2, 1]], [3, 1, 0], [5, 2, 4], 3, 0),
    "blank_is_2": ([[0, 1, 0], [1, 1, 2], [0, 0, 0]], [3, 2, 1], [5, 5, 2], 3, 2),
    "blank_is_1": ([[0, 2], [2, 0]], [2, 2], [4, 5], 3, 1),
}


def _case(name, scale=1.0):
    target, tl, ol, classes, blank = POSSIBLE[name]
    target = np.array(target, np.int32)
    logits = RNG.normal(0.0, scale, (target.shape[0], 5, classes))
    return target, logits, np.array(tl, np.int32), np.array(ol, np.int32), blank


def _loss(target, logits, tl, ol, blank):
    return ops.ctc_loss(target, logits, tl, ol, mask_index=blank).numpy()


@pytest.mark.parametrize("name", sorted(POSSIBLE))
def test_loss_equals_the_sum_over_alignments(name):
    target, logits, tl, ol, blank = _case(name)
    expected = brute_force_ctc(target, logits, tl, ol, blank)
    with float64():
        got = _loss(target, logits, tl, ol, blank)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    got32 = _loss(target, logits.astype(np.float32), tl, ol, blank)
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, expected, rtol=2e-6)


@pytest.mark.parametrize("name", sorted(POSSIBLE))
def test_gradient_matches_finite_differences(name):
    target, logits, tl, ol, blank = _case(name)
    check_gradients(lambda z: ops.ctc_loss(target, z, tl, ol, mask_index=blank), [logits])


def test_gradient_is_softmax_minus_posterior_occupancy():
    """Past each output length the gradient is 0; at a valid frame it sums to 0 over the
    classes (softmax and the occupancy both sum to 1)."""
    target, logits, tl, ol, blank = _case("lengths_and_padding")
    with float64():
        z = Variable(logits)
        with GradientTape() as tape:
            loss = ops.sum(ops.ctc_loss(target, z, tl, ol, mask_index=blank))
        grad = current().to_numpy(tape.gradient(loss, z))
    valid = np.arange(5)[None, :] < ol[:, None]
    np.testing.assert_array_equal(grad[~valid], 0.0)
    np.testing.assert_allclose(grad.sum(-1)[valid], 0.0, atol=1e-12)
    # the occupancy is a probability per frame: softmax - grad lies in [0, 1]
    occupancy = np.exp(np_log_softmax(logits)) - grad
    assert np.all(occupancy[valid] > -1e-12) and np.all(occupancy[valid] < 1 + 1e-12)


def test_one_tape_node_with_the_logits_as_only_parent():
    target, logits, tl, ol, blank = _case("repeats")
    z = Variable(logits.astype(np.float32))
    with GradientTape():
        loss = ops.ctc_loss(target, z, tl, ol, mask_index=blank)
    assert loss.node.parents == (z,)


def test_upstream_gradient_scales_each_sample():
    target, logits, tl, ol, blank = _case("distinct")
    weights = np.array([0.5, -2.0, 3.0])
    check_gradients(lambda z: ops.ctc_loss(target, z, tl, ol, mask_index=blank) * weights,
                    [logits])


def test_impossible_labels_give_the_keras_floor_with_finite_gradients():
    """A label that cannot fit (a repeated pair needs a blank between) costs about 1e5 per
    missing frame, as Keras's JAX and NumPy backends compute, instead of infinity."""
    target = np.array([[1, 1], [1, 2], [2, 0]], np.int32)
    tl, ol = np.array([2, 2, 1]), np.array([2, 1, 0])
    logits = RNG.normal(0.0, 1.0, (3, 4, 3))
    with float64():
        loss = _loss(target, logits, tl, ol, 0)
    assert np.all(np.isfinite(loss))
    np.testing.assert_allclose(loss, 1e5, rtol=1e-4)
    # the floor's slope: finite differences on values near 1e5 need a larger step
    check_gradients(lambda z: ops.ctc_loss(target, z, tl, ol), [logits], eps=1e-4,
                    rtol=1e-4, atol=1e-6)
    possible = np.array([[1, 1]], np.int32)
    assert _loss(possible, logits[:1], [2], [3], 0)[0] < 100.0


@pytest.mark.parametrize("scale, steps", [(40.0, 60), (3.0, 300)])
def test_float32_is_stable_for_large_logits_and_long_sequences(scale, steps):
    rng = np.random.default_rng(0)
    batch, classes, labels = 2, 5, 12
    target = rng.integers(1, classes, (batch, labels)).astype(np.int32)
    logits = rng.normal(0.0, scale, (batch, steps, classes))
    tl, ol = np.array([12, 7]), np.array([steps, 2 * steps // 3])
    with float64():
        z64 = Variable(logits)
        with GradientTape() as tape:
            reference = ops.ctc_loss(target, z64, tl, ol)
            total = ops.sum(reference)
        g64 = current().to_numpy(tape.gradient(total, z64))
    z32 = Variable(logits.astype(np.float32))
    with GradientTape() as tape:
        loss = ops.ctc_loss(target, z32, tl, ol)
        total = ops.sum(loss)
    g32 = current().to_numpy(tape.gradient(total, z32))
    assert np.all(reference.numpy() > 100.0)  # log-weights far from 0
    np.testing.assert_allclose(loss.numpy(), reference.numpy(), rtol=1e-6)
    np.testing.assert_allclose(g32, g64, atol=2e-5)


def test_integer_logits_and_lengths_as_lists():
    target = [[1, 2]]
    logits = np.arange(12).reshape(1, 4, 3) % 3
    loss = ops.ctc_loss(target, logits, [2], [4])
    assert loss.dtype == "float32"
    expected = brute_force_ctc(np.array(target), logits.astype(np.float64), [2], [4])
    np.testing.assert_allclose(loss.numpy(), expected, rtol=1e-6)


# -- Keras 3 golden values --------------------------------------------------------------------

HAVE_GOLDEN = os.path.exists(os.path.join(GOLDEN_DIR, "ctc.cases.json"))
CASES = load_cases("ctc") if HAVE_GOLDEN else []
LOSS_CASES = [c for c in CASES if c["kind"] == "loss_op"]
DECODE_CASES = [c for c in CASES if c["kind"] == "decode"]


@pytest.mark.parametrize("case", LOSS_CASES, ids=case_ids(LOSS_CASES))
def test_loss_and_gradient_match_keras(case):
    a = case["arrays"]
    z = Variable(a["output"])
    with GradientTape() as tape:
        loss = ops.ctc_loss(a["target"], z, a["target_length"], a["output_length"],
                            mask_index=case["config"]["mask_index"])
        total = ops.sum(loss)
    grad = current().to_numpy(tape.gradient(total, z))
    np.testing.assert_allclose(loss.numpy(), a["loss"], rtol=1e-5, atol=1e-5)
    # around the 1e5 floor a float32 log-weight carries ~1e-2 of rounding, which
    # Keras's gradient shares
    atol = 5e-3 if case["name"] == "impossible" else 2e-5
    np.testing.assert_allclose(grad, a["grad"], rtol=1e-4, atol=atol)


@pytest.mark.parametrize("case", DECODE_CASES, ids=case_ids(DECODE_CASES))
def test_decode_matches_keras(case):
    a = case["arrays"]
    decoded, scores = ops.ctc_decode(a["inputs"], a["sequence_lengths"], **case["config"])
    assert decoded.dtype == "int32" and decoded.shape == a["decoded"].shape
    np.testing.assert_array_equal(decoded.numpy(), a["decoded"])
    assert scores.dtype == "float32"
    np.testing.assert_allclose(scores.numpy(), a["scores"], rtol=1e-6, atol=1e-6)


# -- the greedy decoder -------------------------------------------------------------------------

def np_greedy(logits, lengths, merge_repeated=True, blank=0):
    rows, scores = [], []
    for b in range(logits.shape[0]):
        frames = logits[b, :lengths[b]]
        path = list(frames.argmax(-1))
        if merge_repeated:
            path = [k for i, k in enumerate(path) if i == 0 or k != path[i - 1]]
        labels = [k for k in path if k != blank]
        rows.append(labels + [-1] * (logits.shape[1] - len(labels)))
        scores.append(-frames.max(-1).sum())
    return np.array(rows)[None], np.array(scores)[:, None]


@pytest.mark.parametrize("merge_repeated", [True, False])
@pytest.mark.parametrize("blank", [0, 2])
def test_greedy_decode_against_reference(merge_repeated, blank):
    rng = np.random.default_rng(3)
    logits = rng.normal(0.0, 1.0, (5, 7, 4)).astype(np.float32)
    logits[0, 1:4] = logits[0, 0]
    lengths = np.array([7, 6, 3, 1, 0])
    decoded, scores = ops.ctc_decode(logits, lengths, merge_repeated=merge_repeated,
                                     mask_index=blank)
    expected, expected_scores = np_greedy(logits, lengths, merge_repeated, blank)
    np.testing.assert_array_equal(decoded.numpy(), expected)
    np.testing.assert_allclose(scores.numpy(), expected_scores, rtol=1e-6)


def test_greedy_decode_keeps_a_label_repeated_across_a_blank():
    eye = np.eye(3, dtype=np.float32) * 5.0
    logits = eye[[1, 1, 0, 1, 2, 2]][None]
    decoded, _ = ops.ctc_decode(logits, [6])
    np.testing.assert_array_equal(decoded.numpy(), [[[1, 1, 2, -1, -1, -1]]])


def test_decode_of_a_single_frame():
    logits = np.array([[[0.1, 2.0, 0.3]], [[3.0, 0.0, 1.0]]], np.float32)
    for strategy in ("greedy", "beam_search"):
        decoded, _ = ops.ctc_decode(logits, [1, 1], strategy=strategy, beam_width=2)
        np.testing.assert_array_equal(decoded.numpy(), [[[1], [-1]]])


# -- the beam search --------------------------------------------------------------------------

def label_log_probs(logits, length, blank):
    """{label sequence: log-probability} over every alignment of the first `length` frames."""
    log_probs = np_log_softmax(logits[:max(length, 1)].astype(np.float64))
    totals = {}
    for path in itertools.product(range(logits.shape[1]), repeat=log_probs.shape[0]):
        label = collapse(path, blank)
        totals[label] = totals.get(label, 0.0) + np.exp(
            sum(log_probs[t, k] for t, k in enumerate(path)))
    return {label: np.log(p) for label, p in totals.items()}


@pytest.mark.parametrize("blank", [0, 1])
def test_a_beam_wider_than_every_prefix_finds_the_most_probable_labels(blank):
    """Without pruning, prefix beam search is exact: the best sequences and their
    log-probabilities, which are minus their CTC losses."""
    rng = np.random.default_rng(11)
    logits = rng.normal(0.0, 1.5, (3, 4, 3))
    lengths = np.array([4, 3, 1])
    top = 4
    with float64():
        decoded, scores = ops.ctc_decode(logits, lengths, strategy="beam_search",
                                         beam_width=40, top_paths=top, mask_index=blank)
    decoded, scores = decoded.numpy(), scores.numpy()
    assert decoded.shape == (top, 3, 4) and decoded.dtype == np.int32
    for b in range(3):
        ranked = sorted(label_log_probs(logits[b], lengths[b], blank).items(),
                        key=lambda item: -item[1])
        ranked += [((), -np.inf)] * top  # fewer sequences than top_paths: -1 rows, -inf
        for i, (label, log_p) in enumerate(ranked[:top]):
            np.testing.assert_array_equal(decoded[i, b], list(label) + [-1] * (4 - len(label)))
            np.testing.assert_allclose(scores[b, i], log_p, rtol=1e-12)
            if np.isfinite(log_p) and label:
                loss = ops.ctc_loss([label], logits[b:b + 1], [len(label)],
                                    [max(lengths[b], 1)], mask_index=blank)
                np.testing.assert_allclose(-loss.numpy()[0], log_p, rtol=1e-6)


def test_a_narrow_beam_keeps_its_best_path_first():
    rng = np.random.default_rng(2)
    logits = rng.normal(0.0, 1.0, (4, 9, 5)).astype(np.float32)
    decoded, scores = ops.ctc_decode(logits, [9, 9, 6, 2], strategy="beam_search",
                                     beam_width=3, top_paths=3)
    scores = scores.numpy()
    assert scores.dtype == np.float32 and scores.shape == (4, 3)
    assert np.all(np.diff(scores, axis=1) <= 0)
    paths = decoded.numpy()
    for b in range(4):
        rows = {tuple(paths[i, b]) for i in range(3)}
        assert len(rows) == 3  # distinct sequences


# -- bad input --------------------------------------------------------------------------------

def test_bad_input_is_rejected_with_a_clear_message():
    logits = np.zeros((2, 4, 3), np.float32)
    target = np.ones((2, 2), np.int32)
    with pytest.raises(ValueError, match="num_classes"):
        ops.ctc_loss(target, logits[0], [2, 2], [4, 4])
    with pytest.raises(ValueError, match="max_label_length"):
        ops.ctc_loss(target[0], logits, [2, 2], [4, 4])
    with pytest.raises(ValueError, match="target_length"):
        ops.ctc_loss(target, logits, [2], [4, 4])
    with pytest.raises(ValueError, match="output_length"):
        ops.ctc_loss(target, logits, [2, 2], [[4, 4]])
    with pytest.raises(ValueError, match="mask_index=3"):
        ops.ctc_loss(target, logits, [2, 2], [4, 4], mask_index=3)
    with pytest.raises(ValueError, match="Invalid strategy 'best'"):
        ops.ctc_decode(logits, [4, 4], strategy="best")
    with pytest.raises(ValueError, match="sequence_lengths"):
        ops.ctc_decode(logits, [4, 4, 4])
    with pytest.raises(ValueError, match="top_paths=3 > beam_width=2"):
        ops.ctc_decode(logits, [4, 4], strategy="beam_search", beam_width=2, top_paths=3)
    with pytest.raises(ValueError, match="beam_width=0"):
        ops.ctc_decode(logits, [4, 4], strategy="beam_search", beam_width=0)


@pytest.mark.skipif(current().name == "array_api_strict", reason="no float16 there")
def test_half_precision_logits_are_computed_in_float32():
    # as the docstring and Keras: float32 losses for any logits but float64; computed from
    # the logits' own values, whatever NumPy would promote a half-precision lattice to
    logits = np.random.default_rng(3).standard_normal((2, 6, 4)).astype("float16")
    target, lengths, frames = np.array([[1, 2], [3, 3]]), np.array([2, 2]), np.array([6, 6])
    want = ops.convert_to_numpy(ops.ctc_loss(target, logits.astype("float32"), lengths, frames))
    got = ops.ctc_loss(target, logits, lengths, frames)
    assert str(got.dtype) == "float32"
    np.testing.assert_array_equal(ops.convert_to_numpy(got), want)
