"""The same small model trained on the digits data with every optimizer: the loss falls."""

import pytest

import kerasx
from kerasx import optimizers

OPTIMIZERS = [
    ("sgd", lambda: optimizers.SGD(0.1)),
    ("sgd_nesterov", lambda: optimizers.SGD(0.05, momentum=0.9, nesterov=True)),
    ("rmsprop", lambda: optimizers.RMSprop(0.003, momentum=0.5)),
    ("rmsprop_centered", lambda: optimizers.RMSprop(0.003, centered=True)),
    ("adagrad", lambda: optimizers.Adagrad(0.1)),
    ("adadelta", lambda: optimizers.Adadelta(1.0)),
    ("adam", lambda: optimizers.Adam(0.01)),
    ("adam_amsgrad_clip", lambda: optimizers.Adam(0.01, amsgrad=True, global_clipnorm=1.0)),
    ("adamw", lambda: optimizers.AdamW(0.01)),
    ("adamax", lambda: optimizers.Adamax(0.02)),
    ("nadam", lambda: optimizers.Nadam(0.01)),
    ("lion", lambda: optimizers.Lion(0.002)),
    ("ftrl", lambda: optimizers.Ftrl(0.5)),
    ("adam_ema_accumulate", lambda: optimizers.Adam(0.02, use_ema=True, ema_momentum=0.5,
                                                    gradient_accumulation_steps=2)),
    ("sgd_cosine_schedule", lambda: optimizers.SGD(
        optimizers.schedules.CosineDecay(0.2, decay_steps=40, warmup_target=0.3, warmup_steps=5))),
    ("rmsprop_by_name", lambda: "rmsprop"),
]


@pytest.mark.parametrize("name,make", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_loss_falls_on_digits(name, make, digits):
    x, y, _, _ = digits
    x, y = x[:640], y[:640]
    kerasx.utils.set_random_seed(0)
    model = kerasx.Sequential([kerasx.Input((64,)), kerasx.layers.Dense(32, activation="relu"),
                               kerasx.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=make(), loss="sparse_categorical_crossentropy")
    before = model.evaluate(x, y, batch_size=640, verbose=0)
    model.fit(x, y, epochs=2, batch_size=32, verbose=0)
    after = model.evaluate(x, y, batch_size=640, verbose=0)
    assert after < 0.85 * before, (before, after)
