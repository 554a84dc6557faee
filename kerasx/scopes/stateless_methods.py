"""Keras 3's stateless methods: a layer, an optimizer or a metric run on given variable
values, returning the new values and changing none of its variables.

Each runs the ordinary code inside a `StatelessScope` that maps the variables to the
given values, then reads what the scope recorded. They serve code written for Keras's
JAX-style loops; within kerasx itself, gradients come from a `GradientTape` on the
variables.
"""

from kerasx.scopes.stateless import StatelessScope


def _check_count(given, expected, argument, what):
    if len(given) != len(expected):
        raise ValueError(
            f"Argument `{argument}` must be a list of tensors corresponding 1:1 to {what}. "
            f"Received list with length {len(given)}, but expected {len(expected)} variables.")


def _mapped(pairs):
    return [(variable, value) for variable, value in pairs]


def stateless_call(layer, trainable_variables, non_trainable_variables, args, kwargs,
                   return_losses=False):
    """`Layer.stateless_call`: `(outputs, non_trainable_variables[, losses])`."""
    owner = type(layer).__name__
    if not layer.built:
        raise ValueError(f"To call stateless_call, {owner} must be built (i.e. its variables "
                         "must have been already created). You can build it by calling it on "
                         "some data.")
    trainable, non_trainable = layer.trainable_variables, layer.non_trainable_variables
    _check_count(trainable_variables, trainable, "trainable_variables",
                 f"{owner}().trainable_variables")
    _check_count(non_trainable_variables, non_trainable, "non_trainable_variables",
                 f"{owner}().non_trainable_variables")
    mapping = _mapped(zip(trainable, trainable_variables)) \
        + _mapped(zip(non_trainable, non_trainable_variables))
    with StatelessScope(mapping, collect_losses=return_losses) as scope:
        outputs = layer(*args, **kwargs)
        losses = list(layer.losses) if return_losses else None
    updated = [scope.get_current_value(v) for v in non_trainable]
    return (outputs, updated, losses) if return_losses else (outputs, updated)


def stateless_apply(optimizer, optimizer_variables, grads, trainable_variables):
    """`Optimizer.stateless_apply`: `(trainable_variables, optimizer_variables)` after one
    step from the given values."""
    owner = type(optimizer).__name__
    if not optimizer.built:
        raise ValueError(f"To call `stateless_apply`, {owner} must be built (i.e. its "
                         "variables must have been created). You can build it via "
                         "`optimizer.build(trainable_variables)`.")
    _check_count(optimizer_variables, optimizer.variables, "optimizer_variables",
                 f"{owner}().variables")
    built_for = optimizer._trainable_variables
    _check_count(trainable_variables, built_for, "trainable_variables",
                 f"the trainable variables {owner} was built with")
    mapping = _mapped(zip(built_for, trainable_variables)) \
        + _mapped(zip(optimizer.variables, optimizer_variables))
    with StatelessScope(mapping) as scope:
        optimizer.apply(list(grads), list(built_for))
    return ([scope.get_current_value(v) for v in built_for],
            [scope.get_current_value(v) for v in optimizer.variables])


def metric_stateless_update_state(metric, metric_variables, args, kwargs):
    """`Metric.stateless_update_state`: the metric's variables after the update."""
    _check_count(metric_variables, metric.variables, "metric_variables",
                 f"{type(metric).__name__}().variables")
    with StatelessScope(_mapped(zip(metric.variables, metric_variables))) as scope:
        metric.update_state(*args, **kwargs)
    return [scope.get_current_value(v) for v in metric.variables]


def metric_stateless_result(metric, metric_variables):
    """`Metric.stateless_result`: the result the given variable values stand for."""
    _check_count(metric_variables, metric.variables, "metric_variables",
                 f"{type(metric).__name__}().variables")
    with StatelessScope(_mapped(zip(metric.variables, metric_variables))):
        return metric.result()


def metric_stateless_reset_state(metric):
    """`Metric.stateless_reset_state`: the variables' values after a reset."""
    with StatelessScope() as scope:
        metric.reset_state()
    return [scope.get_current_value(v) for v in metric.variables]
