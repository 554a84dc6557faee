"""`RemoteMonitor`: epoch logs posted to a local HTTP server as a form or as JSON, custom
headers, and a warning (not an error) when the server cannot be reached."""

import http.server
import json
import socket
import threading
import urllib.parse
import warnings

import numpy as np
import pytest

import kerasx as keras
from tests.trainers.helpers import classifier, make_data


class _Recorder(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.posts.append((self.path, dict(self.headers), body))
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    httpd.posts, httpd.status = [], 200
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def _root(httpd):
    return f"http://127.0.0.1:{httpd.server_address[1]}"


def test_posts_each_epoch_as_a_form_field(server):
    x, y = make_data(n=32)
    monitor = keras.callbacks.RemoteMonitor(root=_root(server))
    history = classifier().fit(x, y, epochs=2, validation_split=0.25, verbose=0,
                               callbacks=[monitor]).history
    assert len(server.posts) == 2
    for epoch, (path, headers, body) in enumerate(server.posts):
        assert path == "/publish/epoch/end/"
        assert headers["Content-Type"] == "application/x-www-form-urlencoded"
        form = urllib.parse.parse_qs(body.decode())
        assert list(form) == ["data"]
        event = json.loads(form["data"][0])
        assert event["epoch"] == epoch
        assert set(event) == {"epoch", "loss", "accuracy", "val_loss", "val_accuracy"}
        assert event["loss"] == pytest.approx(history["loss"][epoch])
        assert event["val_accuracy"] == pytest.approx(history["val_accuracy"][epoch])


def test_posts_json_to_a_custom_path_with_headers(server):
    monitor = keras.callbacks.RemoteMonitor(root=_root(server), path="/events", field="ignored",
                                            headers={"X-Run": "r7"}, send_as_json=True)
    monitor.on_epoch_end(3, {"loss": np.float32(0.25), "lr": np.array(0.5), "name": "a"})
    ((path, headers, body),) = server.posts
    assert path == "/events" and headers["X-Run"] == "r7"
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"epoch": 3, "loss": 0.25, "lr": 0.5, "name": "a"}


def test_custom_form_field_and_no_logs(server):
    keras.callbacks.RemoteMonitor(root=_root(server), field="payload").on_epoch_end(0)
    ((_, _, body),) = server.posts
    assert json.loads(urllib.parse.parse_qs(body.decode())["payload"][0]) == {"epoch": 0}


def test_an_error_status_is_not_a_failure(server):
    server.status = 500
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        keras.callbacks.RemoteMonitor(root=_root(server)).on_epoch_end(0, {"loss": 1.0})
    assert len(server.posts) == 1


def _closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_server_warns_and_training_goes_on():
    root = f"http://127.0.0.1:{_closed_port()}"
    x, y = make_data(n=32)
    with pytest.warns(UserWarning, match=f"Could not reach RemoteMonitor root server at {root}"):
        history = classifier().fit(x, y, epochs=3, verbose=0,
                                   callbacks=[keras.callbacks.RemoteMonitor(root=root)])
    assert len(history.history["loss"]) == 3


def test_a_malformed_url_warns():
    with pytest.warns(UserWarning, match="Could not reach"):
        keras.callbacks.RemoteMonitor(root="not a url").on_epoch_end(0, {"loss": 1.0})

