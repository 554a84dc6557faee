"""`kerasx.random`: random draws and `SeedGenerator`, with the `keras.random` names."""

from kerasx.random.draws import (beta, binomial, categorical, dropout, gamma, normal, randint,
                                 shuffle, truncated_normal, uniform)
from kerasx.random.seed_generator import SeedGenerator

__all__ = ["SeedGenerator", "beta", "binomial", "categorical", "dropout", "gamma", "normal",
           "randint", "shuffle", "truncated_normal", "uniform"]
