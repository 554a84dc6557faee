"""`__array_namespace_info__()`: what the namespace and the active backend offer."""


class _Info:
    def capabilities(self):
        # boolean indexing and unique give data-dependent shapes; kerasx computes them eagerly
        return {"boolean indexing": True, "data-dependent shapes": True,
                "max dimensions": None}

    def default_device(self):
        from kerasx.backends import current

        return current().device

    def devices(self):
        return [self.default_device()]

    def default_dtypes(self, *, device=None):
        from kerasx.config import floatx

        return {"real floating": floatx(), "complex floating": "complex64",
                "integral": "int32", "indexing": "int32"}

    def dtypes(self, *, device=None, kind=None):
        from kerasx.array_api._dtypes import _KINDS, isdtype

        names = [n for n in _KINDS["numeric"] if n not in ("float16", "bfloat16")] + ["bool"]
        if kind is not None:
            names = [n for n in names if isdtype(n, kind)]
        return {n: n for n in names}


def __array_namespace_info__():
    return _Info()
