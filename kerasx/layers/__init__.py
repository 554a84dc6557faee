"""`kerasx.layers`: every layer, importable as `kerasx.layers.Dense` etc."""

from kerasx.layers.core.activation import Activation
from kerasx.layers.core.dense import Dense
from kerasx.layers.core.input_layer import Input, InputLayer, KerasTensor
from kerasx.layers.layer import Layer
from kerasx.layers.regularization.dropout import Dropout
from kerasx.layers.reshaping.flatten import Flatten
