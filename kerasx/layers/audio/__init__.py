"""Layers of the `audio` family (spectrograms); each module lists its public classes in
`__all__`."""

from kerasx.utils.collect import export_modules

__all__ = export_modules(__name__, __path__, globals())
