"""`ExportArchive`: an inference artifact built endpoint by endpoint, as an ONNX file."""


class ExportArchive:
    """Writes the models or layers it tracks, behind one endpoint, as an ONNX file.

    Keras's `ExportArchive` writes a TensorFlow SavedModel, which can hold
    several endpoints and variable collections. An ONNX file is one graph:
    kerasx's archive holds exactly one endpoint (a second `add_endpoint`
    raises) and no variable collections, and writes it with `write_out`.
    The endpoint always runs in inference mode (dropout and noise layers do
    nothing).

        archive = kerasx.export.ExportArchive()
        archive.track(model)
        archive.add_endpoint(
            name="serve",
            fn=model.call,
            input_signature=[kerasx.InputSpec(shape=(None, 3), dtype="float32")],
        )
        archive.write_out("model.onnx")

    `fn` may be a tracked model, its `call` or `__call__`, or any function of
    symbolic tensors written with kerasx layers and `kerasx.ops` (it is
    traced once, on symbolic inputs of the signature's shapes). The graph is
    named after the endpoint.

    Args:
        format: `"onnx"`, the only format kerasx writes.
    """

    def __init__(self, format="onnx"):
        if format != "onnx":
            raise ValueError(
                f"kerasx's ExportArchive writes ONNX files only; received format={format!r} "
                "(Keras writes SavedModels through TensorFlow, which kerasx does not use). "
                "Use ExportArchive(format='onnx').")
        self._tracked = []
        self._endpoint = None

    def track(self, resource):
        """Registers a layer or model whose weights the endpoint uses."""
        from kerasx.layers.layer import Layer

        if not isinstance(resource, Layer):
            raise ValueError(
                f"ExportArchive.track() takes a kerasx Layer or Model; received "
                f"{type(resource).__name__}: {resource!r}.")
        if not resource.built:
            raise ValueError(
                f"{type(resource).__name__} {resource.name!r} is not built, so it has no weights "
                "to export. Call it on data (or build it) before tracking it.")
        self._tracked.append(resource)

    def add_endpoint(self, name, fn, input_signature=None, **kwargs):
        """Sets the archive's endpoint: `fn` on inputs described by `input_signature`.

        Args:
            name: the endpoint's name (the ONNX graph's name).
            fn: a tracked model, its `call`/`__call__`, or a function of symbolic
                tensors.
            input_signature: one entry per positional argument of `fn`: a
                `kerasx.InputSpec` (or KerasTensor, or array), or a list/dict of
                them for a model taking several inputs. Optional when `fn` is a
                tracked functional or Sequential model (or its `call`).

        Returns:
            `fn`.
        """
        if kwargs:
            raise TypeError(f"add_endpoint() got unexpected keyword arguments {sorted(kwargs)}.")
        if self._endpoint is not None:
            raise ValueError(
                f"This ExportArchive already has the endpoint {self._endpoint[0]!r}; an ONNX "
                f"file holds a single graph, so {name!r} cannot be added. Write one archive per "
                "endpoint.")
        if not isinstance(name, str) or not name:
            raise ValueError(f"The endpoint name must be a non-empty string; received {name!r}.")
        if not callable(fn):
            raise TypeError(f"`fn` must be callable; received {type(fn).__name__}: {fn!r}.")
        model = self._model_behind(fn)
        if input_signature is None and not _has_graph(model):
            raise ValueError(
                f"add_endpoint({name!r}) needs `input_signature` (e.g. "
                "[kerasx.InputSpec(shape=(None, 3), dtype='float32')]) unless `fn` is a tracked "
                "functional or Sequential model.")
        self._endpoint = (name, fn, model, input_signature)
        return fn

    def track_and_add_endpoint(self, name, resource, input_signature=None, **kwargs):
        """`track(resource)`, then `add_endpoint(name, resource, input_signature)`."""
        self.track(resource)
        return self.add_endpoint(name, resource, input_signature, **kwargs)

    def add_variable_collection(self, name, variables):
        """Not available: an ONNX file has no place for variables outside its graph."""
        raise NotImplementedError(
            "ExportArchive.add_variable_collection() has no ONNX equivalent: an ONNX file "
            "stores only the weights its graph reads, and no named collections of other "
            "variables. Save them with model.save() or save_weights() instead.")

    def write_out(self, filepath, options=None, verbose=True):
        """Writes the endpoint's graph to `filepath` as an ONNX file.

        Args:
            filepath: where to write the file.
            options: accepted for compatibility; must be None.
            verbose: whether to print a message once the file is written.
        """
        from kerasx.export.onnx_export import onnx_model_proto

        if self._endpoint is None:
            raise ValueError(
                "This ExportArchive has no endpoint to write: call add_endpoint() first.")
        if options is not None:
            raise ValueError(
                f"write_out() takes no `options` for ONNX files (they are TensorFlow SaveOptions "
                f"in Keras); received options={options!r}.")
        name, fn, model, signature = self._endpoint
        if model is not None:
            proto = onnx_model_proto(model, input_signature=signature, name=name)
        else:
            proto = onnx_model_proto(None, input_signature=signature, fn=fn, name=name)
        import onnx

        onnx.save(proto, str(filepath))
        if verbose:
            from kerasx.utils.messages import print_msg

            print_msg(f"Saved artifact at '{filepath}'.")

    def _model_behind(self, fn):
        """The tracked model that `fn` is, or whose `call`/`__call__` it is (else None)."""
        owner = getattr(fn, "__self__", None)
        if owner is not None and getattr(fn, "__name__", None) in ("call", "__call__"):
            fn = owner
        for resource in self._tracked:
            if fn is resource:
                from kerasx.models.model import Model

                return resource if isinstance(resource, Model) else None
        return None


def _has_graph(model):
    from kerasx.models.functional import Functional
    from kerasx.models.sequential import Sequential

    return isinstance(model, (Functional, Sequential))
