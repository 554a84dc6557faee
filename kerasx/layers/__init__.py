"""`kerasx.layers`: every layer, importable as `kerasx.layers.Dense` etc.

Layers live in one subpackage per family (core, reshaping, regularization,
normalization, activations, convolutional, pooling, rnn, merging, preprocessing,
attention); each subpackage exports what its modules list in `__all__`.
"""

from kerasx.layers.activations import *  # noqa: F401,F403
from kerasx.layers.attention import *  # noqa: F401,F403
from kerasx.layers.audio import *  # noqa: F401,F403
from kerasx.layers.convolutional import *  # noqa: F401,F403
from kerasx.layers.core import *  # noqa: F401,F403
from kerasx.layers.layer import Layer
from kerasx.layers.merging import *  # noqa: F401,F403
from kerasx.layers.normalization import *  # noqa: F401,F403
from kerasx.layers.pooling import *  # noqa: F401,F403
from kerasx.layers.preprocessing import *  # noqa: F401,F403
from kerasx.layers.regularization import *  # noqa: F401,F403
from kerasx.layers.reshaping import *  # noqa: F401,F403
from kerasx.layers.rnn import *  # noqa: F401,F403
from kerasx.layers.serialization import deserialize, serialize
