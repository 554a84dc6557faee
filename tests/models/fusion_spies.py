"""Test helper: records whether the `BatchNormalization` fusion entry points ran as one
node (returned a result) or declined (returned None)."""

from kerasx import layers


def ran_as_one_node(monkeypatch, *names):
    """Wraps the `BatchNormalization` methods `names`; each call appends whether it ran
    as one node to the returned list."""
    calls = []

    def spy_on(original):
        def spy(self, *args, **kwargs):
            out = original(self, *args, **kwargs)
            calls.append(out is not None)
            return out
        return spy

    for name in names:
        monkeypatch.setattr(layers.BatchNormalization, name,
                            spy_on(getattr(layers.BatchNormalization, name)))
    return calls
