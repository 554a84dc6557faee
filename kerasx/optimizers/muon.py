"""`Muon`: orthogonalised momentum for 2-D weights, AdamW for everything else."""

import math
import re
from numbers import Real

from kerasx.backends import current
from kerasx.optimizers.optimizer import Optimizer


class Muon(Optimizer):
    """Muon (Jordan et al., 2024; Liu et al., 2025): the momentum of a 2-D weight
    is replaced by an approximately orthogonal matrix of the same shape (a few
    quintic Newton-Schulz iterations) before it is applied.

    Which update a variable gets is decided once, when the optimizer is built:

    - a variable that is not 2-D (a bias, a scalar, a 4-D conv kernel) uses AdamW;
    - with `exclude_embeddings=True`, a variable whose path contains
      `"embedding"` (any case) uses AdamW;
    - a variable whose path matches one of the regular expressions in
      `exclude_layers` (`re.search`) uses AdamW, e.g. `exclude_layers=["output"]`
      for the final classifier;
    - every other variable uses the Muon step.

    Muon step (momentum `m`, `mu = momentum`): `m = mu m + g`; the direction is
    `g + mu m` with `nesterov=True`, else `m`; it is orthogonalised by
    `ns_steps` Newton-Schulz iterations `X = a X + (b A + c A A) X` with
    `A = X X^T` (on the wide orientation, after dividing by the Frobenius
    norm); then `w -= lr * O * sqrt(max(rows, cols)) * rms_rate` (the factor is
    left out when `rms_rate` is None).

    AdamW step: Adam with `adam_beta_1`, `adam_beta_2`, `epsilon` and the
    learning rate `lr * adam_lr_ratio`.

    Weight decay: before each step a Muon variable becomes `w - w * weight_decay * lr`
    and an AdamW variable `w - w * adam_weight_decay * lr` (either left out
    when None; `exclude_from_weight_decay` applies to both).

    Args:
        learning_rate: float or schedule (default 0.001).
        adam_beta_1: AdamW's first-moment decay (default 0.9).
        adam_beta_2: AdamW's second-moment decay (default 0.999).
        adam_weight_decay: the decoupled weight decay of AdamW variables (default 0.004).
        epsilon: AdamW's denominator offset (default 1e-7).
        weight_decay: the decoupled weight decay of Muon variables (default 0.004).
        exclude_layers: regular expressions; variables whose path matches one use AdamW.
        exclude_embeddings: whether variables with "embedding" in their path use AdamW
            (default True).
        muon_a, muon_b, muon_c: the Newton-Schulz coefficients (defaults 3.4445,
            -4.7750, 2.0315).
        adam_lr_ratio: the AdamW learning rate as a fraction of `learning_rate` (default 1).
        momentum: the Muon momentum (default 0.95).
        ns_steps: the number of Newton-Schulz iterations (default 5).
        nesterov: use the Nesterov direction (default True).
        rms_rate: the update scale of Liu et al. (default 0.2; None: no scaling).
        **kwargs: the other arguments every optimizer takes (see `Optimizer`).
    """

    def __init__(self, learning_rate=0.001, adam_beta_1=0.9, adam_beta_2=0.999,
                 adam_weight_decay=0.004, epsilon=1e-7, weight_decay=0.004, exclude_layers=None,
                 exclude_embeddings=True, muon_a=3.4445, muon_b=-4.7750, muon_c=2.0315,
                 adam_lr_ratio=1, momentum=0.95, ns_steps=5, nesterov=True, rms_rate=0.2,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, **kwargs)
        if isinstance(ns_steps, bool) or not isinstance(ns_steps, int) or ns_steps < 0:
            raise ValueError(
                "Argument `ns_steps` must be a non-negative integer (the number of "
                f"Newton-Schulz iterations, usually 5). Received: ns_steps={ns_steps!r}.")
        if not _is_number(momentum) or not 0 <= momentum <= 1:
            raise ValueError(
                f"Argument `momentum` must be a float in [0, 1]. Received: momentum={momentum!r}.")
        if rms_rate is not None and (not _is_number(rms_rate) or rms_rate < 0):
            raise ValueError(
                "Argument `rms_rate` must be a non-negative float, or None to leave the update "
                f"unscaled. Received: rms_rate={rms_rate!r}.")
        if not _is_number(adam_lr_ratio) or adam_lr_ratio < 0:
            raise ValueError(
                "Argument `adam_lr_ratio` must be a non-negative float. Received: "
                f"adam_lr_ratio={adam_lr_ratio!r}.")
        if exclude_layers is not None and (
                not isinstance(exclude_layers, (list, tuple))
                or not all(isinstance(k, str) for k in exclude_layers)):
            raise ValueError(
                "Argument `exclude_layers` must be a list of strings (regular expressions "
                "searched in variable paths), e.g. exclude_layers=['output_dense']. Received: "
                f"exclude_layers={exclude_layers!r}.")
        for arg, value in (("weight_decay", weight_decay),
                           ("adam_weight_decay", adam_weight_decay)):
            if value is not None and not _is_number(value):
                raise ValueError(f"Argument `{arg}` must be a float or None. Received: "
                                 f"{arg}={value!r}.")
        self.adam_beta_1 = adam_beta_1
        self.adam_beta_2 = adam_beta_2
        self.epsilon = epsilon
        self.muon_a = muon_a
        self.muon_b = muon_b
        self.muon_c = muon_c
        self.adam_lr_ratio = adam_lr_ratio
        self.momentum = momentum
        self.ns_steps = ns_steps
        self.nesterov = nesterov
        self.exclude_embeddings = exclude_embeddings
        self.exclude_layers = list(exclude_layers or [])
        self.adam_weight_decay = adam_weight_decay
        self.rms_rate = rms_rate

    def _should_use_adamw(self, variable):
        """Whether `variable` takes the AdamW step rather than the Muon step."""
        if len(variable.shape) != 2:
            return True
        path = str(getattr(variable, "path", None) or variable.name)
        if self.exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(keyword, path) for keyword in self.exclude_layers)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        # a momentum for every variable, then a velocity right after it for AdamW ones
        self._momentums, self._adam_velocities = [], []
        for var in var_list:
            if var.overwrite_with_gradient:  # never updated by the optimizer
                self._momentums.append(None)
                self._adam_velocities.append(None)
                continue
            self._momentums.append(self.add_variable_from_reference(var, "momentum"))
            self._adam_velocities.append(
                self.add_variable_from_reference(var, "velocity")
                if self._should_use_adamw(var) else None)

    def update_step(self, gradient, variable, learning_rate):
        i = self._get_variable_index(variable)
        m, v = self._momentums[i], self._adam_velocities[i]
        if v is not None:
            self._adamw_step(gradient, variable, learning_rate * self.adam_lr_ratio, m, v)
        else:
            self._muon_step(gradient, variable, learning_rate, m)

    def _muon_step(self, gradient, variable, learning_rate, m):
        m.assign(m.value + (gradient + m.value * (self.momentum - 1)))
        direction = gradient + self.momentum * m.value if self.nesterov else m.value
        update = learning_rate * self.zeropower_via_newtonschulz5(direction, self.ns_steps)
        variable.assign(variable.value - self.lr_adjust(update))

    def lr_adjust(self, x):
        """The 2-D update `x` scaled by `sqrt(max(rows, cols)) * rms_rate` (Liu et al.,
        2025), which gives it the RMS of an AdamW update; unchanged when `rms_rate` is None."""
        if self.rms_rate is None:
            return x
        return x * math.sqrt(max(x.shape[0], x.shape[1])) * self.rms_rate

    def _adamw_step(self, gradient, variable, learning_rate, m, v):
        step = self._steps() + 1
        alpha = (learning_rate * math.sqrt(1 - self.adam_beta_2 ** step)
                 / (1 - self.adam_beta_1 ** step))
        backend = current()
        fused = backend.kernel("adam_update")
        if fused is not None:
            fused(variable, gradient, m, v, None, alpha, self.adam_beta_1, self.adam_beta_2,
                  self.epsilon)
            return
        xp = backend.xp
        m.assign(m.value + (gradient - m.value) * (1 - self.adam_beta_1))
        v.assign(v.value + (gradient * gradient - v.value) * (1 - self.adam_beta_2))
        variable.assign(variable.value - (m.value * alpha) / (xp.sqrt(v.value) + self.epsilon))

    def zeropower_via_newtonschulz5(self, x, steps):
        """`x` (at least 2-D) mapped close to the orthogonal factor of its SVD by
        `steps` quintic Newton-Schulz iterations (batched over leading axes)."""
        if len(x.shape) < 2:
            raise ValueError("Expected gradient or momentum to have at least 2 dimensions. "
                             f"Received: shape={tuple(x.shape)}.")
        xp = current().xp
        a, b, c = self.muon_a, self.muon_b, self.muon_c
        tall = x.shape[-2] > x.shape[-1]
        if tall:
            x = xp.matrix_transpose(x)
        # dividing by the Frobenius norm puts every singular value in [0, 1]
        x = x / (xp.sqrt(xp.sum(x * x, axis=(-2, -1), keepdims=True)) + 1e-7)
        for _ in range(steps):
            gram = xp.matmul(x, xp.matrix_transpose(x))
            poly = b * gram + xp.matmul(c * gram, gram)
            x = a * x + xp.matmul(poly, x)
        return xp.matrix_transpose(x) if tall else x

    def _apply_weight_decay(self, variables, learning_rate):
        fused = current().kernel("weight_decay")
        for var in variables:
            if not self._use_weight_decay(var):
                continue
            adamw = self._adam_velocities[self._get_variable_index(var)] is not None
            decay = self.adam_weight_decay if adamw else self.weight_decay
            if decay is None:
                continue
            if fused is not None:
                fused(var, decay * learning_rate)
            else:
                var.assign(var.value - var.value * (decay * learning_rate))

    def get_config(self):
        return {**super().get_config(), "adam_beta_1": self.adam_beta_1,
                "adam_beta_2": self.adam_beta_2, "epsilon": self.epsilon,
                "exclude_layers": self.exclude_layers, "muon_a": self.muon_a,
                "muon_b": self.muon_b, "muon_c": self.muon_c,
                "adam_lr_ratio": self.adam_lr_ratio, "momentum": self.momentum,
                "ns_steps": self.ns_steps, "nesterov": self.nesterov,
                "exclude_embeddings": self.exclude_embeddings,
                "adam_weight_decay": self.adam_weight_decay, "rms_rate": self.rms_rate}


def _is_number(value):
    return isinstance(value, Real) and not isinstance(value, bool)
