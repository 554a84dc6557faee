"""`AdamW`: Adam with decoupled weight decay."""

from kerasx.optimizers.adam import Adam


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): before each step
    `w -= w * weight_decay * learning_rate`, then the Adam update.

    Args:
        learning_rate: float or schedule (default 0.001).
        weight_decay: the decay rate (default 0.004; required).
        beta_1, beta_2, epsilon, amsgrad: as in `Adam`.
        **kwargs: the other arguments every optimizer takes (see `Optimizer`).
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, **kwargs):
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, amsgrad=amsgrad, weight_decay=weight_decay, **kwargs)
        if self.weight_decay is None:
            raise ValueError(
                "Argument `weight_decay` must be a float. Received: weight_decay=None.")
