"""`RemoteMonitor`: posts each epoch's logs to an HTTP server."""

import json
import warnings

from kerasx.callbacks.callback import Callback

_TIMEOUT_SECONDS = 10.0


class RemoteMonitor(Callback):
    """Sends each epoch's logs to a server as an HTTP POST.

    The event `{"epoch": epoch, **logs}` goes to `root + path`, by default as
    a form with the JSON text under `field` (`data=...`), or as a JSON body
    (`Content-Type: application/json`) with `send_as_json=True`. A server that
    cannot be reached (or takes over 10 seconds to answer) gives a warning, never
    an error: training goes on. An error status from the server is not checked.
    Only the standard library is used (no `requests`).

    Args:
        root: the root URL of the server.
        path: the path, relative to `root`, the events are posted to.
        field: the form field holding the JSON text (forms only).
        headers: optional dict of extra HTTP headers.
        send_as_json: whether to post a JSON body instead of a form.
    """

    def __init__(self, root="http://localhost:9000", path="/publish/epoch/end/", field="data",
                 headers=None, send_as_json=False):
        super().__init__()
        self.root, self.path, self.field = root, path, field
        self.headers, self.send_as_json = headers, send_as_json

    def on_epoch_end(self, epoch, logs=None):
        import urllib.error
        import urllib.parse
        import urllib.request

        event = {"epoch": epoch}
        event.update({key: _plain(value) for key, value in (logs or {}).items()})
        if self.send_as_json:
            body, content_type = json.dumps(event).encode(), "application/json"
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(event)}).encode()
            content_type = "application/x-www-form-urlencoded"
        headers = {"Content-Type": content_type, **(self.headers or {})}
        try:
            request = urllib.request.Request(self.root + self.path, data=body, headers=headers,
                                             method="POST")
            with urllib.request.urlopen(request, timeout=_TIMEOUT_SECONDS) as response:
                response.read()
        except urllib.error.HTTPError:
            pass  # the server was reached; as with Keras, its answer is not checked
        except (urllib.error.URLError, OSError, ValueError):
            warnings.warn(f"Could not reach RemoteMonitor root server at {self.root}",
                          stacklevel=2)


def _plain(value):
    """A log value as a JSON-ready Python scalar (arrays and tensors of one element)."""
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    item = getattr(value, "item", None)
    if callable(item):
        return item()
    try:
        return float(value)
    except (TypeError, ValueError):
        return value
