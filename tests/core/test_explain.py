"""Every number the detail view shows adds up to what the network itself computed."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad.core.architectures import ConvChoice, custom_spec
from digitpad.core.bundled import CLASSIC, DEFAULT
from digitpad.core.explain import (
    ActivationStep,
    AverageStep,
    ConvStep,
    DenseStep,
    FlattenStep,
    Node,
    PoolStep,
    SoftmaxStep,
    explain_conv,
    explain_dense,
    explain_fanout,
    explain_pool,
    explain_softmax,
    number,
    route,
)
from digitpad.core.model_io import load_model
from digitpad.core.network import Network

RNG = np.random.default_rng(7)


def digit_like() -> np.ndarray:
    image = np.zeros((28, 28), np.float32)
    image[4:24, 12:16] = 1.0  # a bar
    image[4:8, 8:20] = 0.7  # and a bar across
    return image


@pytest.fixture(scope="module")
def default():
    network = load_model(DEFAULT.path).network
    return network, network.trace(digit_like())


@pytest.fixture(scope="module")
def classic():
    network = load_model(CLASSIC.path).network
    return network, network.trace(digit_like())


def test_a_conv1_value_is_its_window_times_the_filter_plus_bias(default):
    network, trace = default
    for channel, row, col in [(0, 10, 13), (5, 0, 0), (31, 27, 27), (12, 4, 9)]:
        step = explain_conv(network, trace, 0, channel, row, col)
        assert step.inputs.shape == step.weights.shape == (1, 3, 3)
        assert step.products.sum() + step.bias == pytest.approx(step.value, abs=1e-5)
        assert step.value == trace.steps[0].output[0, channel, row, col]
        # 'same' padding: the window starts one pixel up and left, zeros outside.
        assert (step.top, step.left) == (row - 1, col - 1)
    corner = explain_conv(network, trace, 0, 5, 0, 0)
    assert corner.inputs[0, 0].tolist() == [0, 0, 0] and corner.inputs[0, :, 0].tolist() == [0] * 3


def test_a_conv2_value_sums_its_channel_contributions(default):
    network, trace = default
    step = explain_conv(network, trace, 3, 17, 6, 7)
    assert step.inputs.shape == (32, 3, 3)
    assert step.channel_sums.shape == (32,)
    assert step.channel_sums.sum() + step.bias == pytest.approx(step.value, abs=1e-5)
    assert step.value == trace.steps[3].output[0, 17, 6, 7]


def test_stride_two_valid_padding(classic):
    network = Network(custom_spec([ConvChoice(4, kernel=5, stride=2, padding="valid")]))
    trace = network.trace(digit_like())
    step = explain_conv(network, trace, 0, 2, 5, 7)
    assert (step.top, step.left) == (10, 14)
    np.testing.assert_array_equal(step.inputs[0], digit_like()[10:15, 14:19])
    assert step.products.sum() + step.bias == pytest.approx(step.value, abs=1e-5)


def test_numbers_are_written_one_way():
    assert [number(v) for v in (-0.0, -0.0004, 0.0, 2 / 3, -2 / 3, 12.5)] == [
        "0.000",
        "0.000",
        "0.000",
        "+0.667",
        "-0.667",
        "+12.500",
    ]


def test_average_pooling():
    network = Network(custom_spec([ConvChoice(3, kernel=2, pool="average")]))  # 27x27 -> 13
    trace = network.trace(digit_like())
    step = explain_pool(network, trace, 2, 1, 5, 6)
    assert step.winner is None and step.value == pytest.approx(step.values.mean(), abs=1e-6)


def test_a_dense_value_and_its_largest_inputs(default):
    network, trace = default
    step = explain_dense(network, trace, 7, 5)
    assert step.inputs.shape == (3136,)
    assert step.products.sum() + step.bias == pytest.approx(step.value, rel=1e-5, abs=1e-4)
    top = step.order[:5]
    assert np.all(np.abs(step.products[top]) >= np.abs(step.products[step.order[5]]))
    logits = explain_dense(network, trace, 9, 3)
    assert logits.value == pytest.approx(float(trace.logits[0, 3]))


def test_softmax_from_the_real_logits(default):
    _, trace = default
    step = explain_softmax(trace)
    np.testing.assert_allclose(step.shifted_exps / step.total, step.probabilities, rtol=1e-5)
    assert step.order[0] == int(trace.probabilities[0].argmax())
    assert step.probabilities.sum() == pytest.approx(1.0, abs=1e-6)
    # Calibrated: the shares come from the logits divided by the temperature.
    np.testing.assert_allclose(step.scaled, step.logits / trace.temperature)
    assert step.temperature == trace.temperature != 1.0


def test_asking_the_wrong_layer_says_so(default):
    network, trace = default
    with pytest.raises(ValueError, match="not a convolution"):
        explain_conv(network, trace, 1, 0, 0, 0)
    with pytest.raises(ValueError, match="not a dense"):
        explain_dense(network, trace, 0, 0)


# -- one value followed through the whole network ---------------------------------------------


def check_step(network, trace, node, step, before):
    """``step`` computes ``node``'s value as the network's forward pass did, to 1e-5
    (relative for a dense sum of thousands of float32 products), and reads ``before``
    (the node before it on the route) at the cell it marks as followed."""
    count = len(network.layers)
    if node.layer == count:
        assert isinstance(step, SoftmaxStep) and step.digit == node.position[0]
        shares = step.shifted_exps / step.total
        np.testing.assert_allclose(shares, trace.probabilities[0], rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(step.logits, trace.logits[0])
        assert step.probabilities[step.digit] == trace.probabilities[0][step.digit]
        assert before.position == node.position
        return
    output = trace.steps[node.layer].output[0]
    received = trace.input[0] if node.layer == 0 else trace.steps[node.layer - 1].output[0]
    if isinstance(step, ConvStep):
        assert step.value == output[node.position]
        assert step.products.sum() + step.bias == pytest.approx(step.value, abs=1e-5)
        assert step.channel_sums.sum() + step.bias == pytest.approx(step.value, abs=1e-5)
        if before is not None:
            c, i, j = step.followed
            assert (c, step.top + i, step.left + j) == before.position
            assert step.inputs[c, i, j] == received[before.position]
    elif isinstance(step, ActivationStep):
        assert step.after == output[node.position] and step.before == received[node.position]
        assert before.position == node.position
    elif isinstance(step, PoolStep):
        assert step.value == output[node.position]
        combine = np.max if step.kind == "max" else np.mean
        assert combine(step.values) == pytest.approx(step.value, abs=1e-5)
        i, j = step.followed
        assert (step.channel, 2 * step.row + i, 2 * step.col + j) == before.position
        assert step.values[i, j] == received[before.position]
    elif isinstance(step, FlattenStep):
        assert step.value == output[node.position] == received[before.position]
        assert step.source == before.position
        assert step.index == np.ravel_multi_index(step.source, received.shape)
    elif isinstance(step, AverageStep):
        assert step.value == output[node.position]
        assert step.total / step.values.size == pytest.approx(step.value, abs=1e-5)
        assert (node.position[0], *step.followed) == before.position
    else:
        assert isinstance(step, DenseStep) and step.value == output[node.position]
        total = step.products.sum() + step.bias
        assert total == pytest.approx(step.value, rel=1e-5, abs=1e-5)
        assert step.followed == before.position[0]
        assert step.inputs[step.followed] == received[before.position]


def check_route(network, trace, found):
    assert found.nodes[0].layer == 0
    assert [n.layer for n in found.nodes] == list(
        range(0, found.nodes[-1].layer + 1)
    )  # one node a layer, none skipped
    for k, (node, step) in enumerate(zip(found.nodes, found.steps, strict=True)):
        check_step(network, trace, node, step, found.nodes[k - 1] if k else None)
    assert sorted(k for page in found.pages for k in page) == list(range(len(found.nodes)))


START_POINTS = {
    # (layer, position): a conv1 value, a pooled value, conv2's, a hidden unit, a logit,
    # a softmax share
    "default": [
        (0, (3, 9, 13)),
        (2, (5, 3, 6)),
        (3, (17, 6, 7)),
        (8, (20,)),
        (9, (7,)),
        (10, (4,)),
    ],
    "classic": [(0, (3, 9, 13)), (1, (2, 5, 6)), (2, (700,)), (3, (7,)), (4, (1,))],
}


@pytest.mark.parametrize("name", ["default", "classic"])
def test_every_step_of_a_route_adds_up_to_the_forward_pass(name, default, classic):
    network, trace = default if name == "default" else classic
    for layer, position in START_POINTS[name]:
        found = route(network, trace, layer, position)
        check_route(network, trace, found)
        assert found.complete and isinstance(found.steps[-1], SoftmaxStep)
        clicked = next(k for k, node in enumerate(found.nodes) if node.layer == layer)
        assert found.nodes[clicked].position == position
        assert clicked in found.pages[found.start]


def test_the_default_route_goes_through_every_stage(default):
    network, trace = default
    found = route(network, trace, 0, (3, 9, 13))
    kinds = [type(s) for s in found.steps]
    assert kinds == [
        ConvStep, ActivationStep, PoolStep,  # conv1 block
        ConvStep, ActivationStep, PoolStep,  # conv2 block
        FlattenStep, DenseStep, ActivationStep, DenseStep, SoftmaxStep,
    ]  # fmt: skip
    assert found.pages == ((0, 1, 2), (3, 4, 5), (6,), (7, 8), (9,), (10,))
    assert found.start == 0
    # The pooled value's way into conv2: every filter at each of the 3x3 positions whose
    # window covers it (an inner cell of a 14x14 map, 'same' padding).
    fanout = found.fanouts[3]
    pooled = found.nodes[2]
    assert fanout.source == pooled and len(fanout.targets) == 64 * 9
    conv2 = network.layers[3].params["weight"]
    for (f, r, c), weight in zip(fanout.targets, fanout.weights, strict=True):
        i, j = pooled.position[1] - (r - 1), pooled.position[2] - (c - 1)
        assert 0 <= i < 3 and 0 <= j < 3 and weight == conv2[f, pooled.position[0], i, j]
    np.testing.assert_allclose(fanout.products, fanout.value * fanout.weights)
    assert fanout.value == trace.steps[2].output[0][pooled.position]
    # Followed on: the one it helps most among those its ReLU lets through. On this
    # drawing the one it helps most of all is at 0 after relu2: passed over.
    relu2 = trace.steps[4].output[0]
    assert fanout.products[fanout.order[0]] == fanout.products.max()
    assert relu2[tuple(fanout.targets[fanout.order[0]])] == 0
    passing = [i for i in fanout.order if relu2[tuple(fanout.targets[i])] != 0]
    assert found.nodes[3].position == tuple(fanout.targets[passing[0]])
    assert fanout.chosen == passing[0]
    assert found.steps[3].followed[0] == pooled.position[0]  # its channel, highlighted
    # Into dense1: its weight into each of the 128 units; into the last layer: every
    # output (default's eleven: the ten digits and 'not a digit').
    assert len(found.fanouts[7].targets) == 128
    assert len(found.fanouts[9].targets) == network.outputs == 11
    for k in (7, 9):
        fan = found.fanouts[k]
        assert found.nodes[k].position[0] == fan.targets[fan.chosen][0]
        helped = fan.products[fan.passes]  # the most, of those passing something on
        if k == 9 and fan.products[fan.answer] > 0:  # into the logits: the answer's first
            assert fan.chosen == fan.answer == int(trace.logits[0].argmax())
        else:
            assert fan.products[fan.chosen] == helped.max()
    assert found.steps[-1].digit == found.nodes[9].position[0]


def test_back_from_a_logit_through_the_largest_contributions(default):
    network, trace = default
    digit = int(trace.probabilities[0].argmax())
    found = route(network, trace, 9, (digit,))
    assert found.start == 4 and found.pages[found.start] == (9,)
    logit, hidden = found.steps[9], found.steps[7]
    assert logit.followed == logit.order[0]  # the largest |product| first
    assert abs(logit.products[logit.followed]) == np.abs(logit.products).max()
    assert hidden.followed == hidden.order[0]
    pool2 = found.steps[5]
    assert pool2.followed == pool2.winner  # a max pooling: back through its winner
    conv2 = found.steps[3]
    channel = conv2.followed[0]
    assert abs(conv2.channel_sums[channel]) == np.abs(conv2.channel_sums).max()
    assert found.nodes[2].position[0] == channel  # conv2's largest channel, maxpool1's map
    assert found.complete and found.steps[-1].digit == digit
    # From the softmax share: the same way back, one page further.
    share = route(network, trace, 10, (digit,))
    assert share.nodes == found.nodes and share.start == 5


def test_a_value_that_pooling_drops_goes_no_further():
    network = Network(custom_spec([ConvChoice(3, kernel=2, pool="average")]))  # 27x27 -> 13
    trace = network.trace(digit_like())
    found = route(network, trace, 0, (1, 26, 26))
    assert not found.complete and len(found.nodes) == 2  # conv, relu; no window holds it
    check_route(network, trace, found)
    # Average pooling's way back: the window's largest value, its largest share.
    back = route(network, trace, 2, (1, 5, 6))
    pool = back.steps[2]
    assert pool.values[pool.followed] == pool.values.max()


def test_global_average_pooling_on_a_route():
    network = Network(
        custom_spec([ConvChoice(4, padding="same")], global_pool=True, dense_units=16),
        np.random.default_rng(1),
    )
    trace = network.trace(digit_like())
    found = route(network, trace, len(network.layers) - 1, (2,))
    check_route(network, trace, found)
    kinds = [type(s) for s in found.steps]
    assert AverageStep in kinds and found.complete
    average = found.steps[kinds.index(AverageStep)]
    assert average.values[average.followed] == average.values.max()


def test_a_route_from_outside_the_layer_says_so(default):
    network, trace = default
    with pytest.raises(ValueError, match=r"position \(3, 28, 0\) is outside layer 0"):
        route(network, trace, 0, (3, 28, 0))
    with pytest.raises(ValueError, match="layer 12 is not in the network"):
        route(network, trace, 12, (0,))


def _switched_off(units: list[int]):
    """A small network and a flatten value whose most helped dense units have their ReLU
    switched off (a bias far below zero): the greedy way on reaches a value of 0."""
    network = Network(custom_spec([ConvChoice(4)], dense_units=16), np.random.default_rng(3))
    dense = next(i for i, name in enumerate(network.names) if name.startswith("dense"))
    flat = network.trace(digit_like()).steps[dense - 1].output[0]
    start = int(np.argmax(flat))  # a value > 0: it helps its units by value x weight
    fanout = explain_fanout(network, network.trace(digit_like()), Node(dense - 1, (start,)))
    greedy = [int(fanout.targets[i][0]) for i in fanout.order[: len(units) or None]]
    network.layers[dense].params["bias"][[greedy[i] for i in units]] = -1e3
    return network, network.trace(digit_like()), dense, start, greedy


def test_on_the_route_skips_a_unit_whose_relu_is_off():
    network, trace, dense, start, greedy = _switched_off([0])
    relu = trace.steps[dense + 1].output[0]
    assert relu[greedy[0]] == 0  # the one it helps most is off: it passes nothing on
    found = route(network, trace, dense - 1, (start,))
    check_route(network, trace, found)
    fanout = found.fanouts[dense]
    assert int(fanout.targets[fanout.order[0]][0]) == greedy[0]  # still ranked first
    # Followed: the unit it helps most among those that are on.
    on = [int(fanout.targets[i][0]) for i in fanout.order if relu[fanout.targets[i][0]] != 0]
    assert found.nodes[dense].position == (on[0],) and on[0] != greedy[0]
    assert found.steps[dense + 1].after > 0
    assert not fanout.passes[fanout.order[0]] and fanout.passes[fanout.chosen]


def test_with_every_unit_off_the_route_takes_the_one_it_helps_most():
    network, trace, dense, start, greedy = _switched_off(list(range(16)))
    assert not trace.steps[dense + 1].output[0].any()
    found = route(network, trace, dense - 1, (start,))
    check_route(network, trace, found)
    assert found.nodes[dense].position == (greedy[0],) and found.complete


def _units_into_the_logits(network, trace) -> tuple[list[int], list[int], int]:
    """dense1's units (after their ReLU) whose value helps another digit's logit most:
    those that also help the answer's logit, and those that do not; and the answer."""
    answer = int(trace.logits[0].argmax())
    relu = len(network.layers) - 2
    helping, not_helping = [], []
    for unit in np.flatnonzero(trace.steps[relu].output[0]):
        fanout = explain_fanout(network, trace, Node(relu, (int(unit),)))
        if int(np.argmax(fanout.products)) == answer:
            continue
        (helping if fanout.products[answer] > 0 else not_helping).append(int(unit))
    return helping, not_helping, answer


def test_on_into_the_logits_the_route_prefers_the_answer_it_helps(default):
    """A value that adds to the answer's logit is followed into it, though it adds more to
    another digit's: a newcomer followed a stroke of a 4 to "the share of digit 2" = 0.000."""
    network, trace = default
    helping, _, answer = _units_into_the_logits(network, trace)
    assert helping, "no unit that helps another digit more and the answer too"
    relu = len(network.layers) - 2
    for unit in helping[:5]:
        found = route(network, trace, relu, (unit,))
        check_route(network, trace, found)
        assert found.nodes[-1].position == (answer,), unit
        fanout = found.fanouts[-2]
        assert fanout.answer == answer and fanout.chosen == answer
        assert fanout.order[0] != answer  # ranked by what it adds, as before


def test_on_into_the_logits_a_value_against_the_answer_goes_where_it_helps_most(default):
    network, trace = default
    _, not_helping, answer = _units_into_the_logits(network, trace)
    assert not_helping, "no unit that pushes away from the answer"
    relu = len(network.layers) - 2
    for unit in not_helping[:5]:
        found = route(network, trace, relu, (unit,))
        check_route(network, trace, found)
        fanout = found.fanouts[-2]
        assert fanout.answer == answer and fanout.products[answer] <= 0
        assert found.nodes[-1].position == (int(fanout.targets[fanout.order[0]][0]),)
        assert found.nodes[-1].position != (answer,)


def test_a_route_through_the_not_a_digit_score_ends_there(default):
    """default's eleventh score has no share among the ten digits' (the softmax shown):
    followed forward, the route stops at it; a share of it cannot be clicked."""
    network, trace = default
    last = len(network.layers) - 1
    found = route(network, trace, last, (10,))
    assert found.nodes[-1] == Node(last, (10,)) and found.nodes[0].layer == 0
    with pytest.raises(ValueError, match="outside"):
        route(network, trace, len(network.layers), (10,))
    assert route(network, trace, len(network.layers), (9,)).nodes[-1].position == (9,)
