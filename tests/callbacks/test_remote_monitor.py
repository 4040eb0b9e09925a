"""RemoteMonitor against a local `http.server` running in a thread."""

import json
import socket
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

import numpy as np
import pytest

import lamina as keras
from lamina.callbacks import RemoteMonitor


class Server:
    """Records each POST (path, headers, body); answers with `status`."""

    def __init__(self, status=200):
        self.requests = []
        received, code = self.requests, status

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((self.path, dict(self.headers), body.decode()))
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):  # keep the test output clean
                pass

        self.httpd = HTTPServer(("127.0.0.1", 0), Handler)
        self.root = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.01,),
                                       daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


def test_posts_json_epoch_logs_from_fit():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with Server() as server:
        history = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0, callbacks=[
            RemoteMonitor(root=server.root, path="/events", send_as_json=True,
                          headers={"X-Run": "7"})])
    assert [path for path, _, _ in server.requests] == ["/events", "/events"]
    _, headers, body = server.requests[1]
    assert headers["Content-Type"] == "application/json" and headers["X-Run"] == "7"
    assert json.loads(body) == {"epoch": 1, "loss": history.history["loss"][1]}


def test_posts_a_form_field_by_default():
    with Server() as server:
        monitor = RemoteMonitor(root=server.root, field="payload")
        monitor.on_epoch_end(3, {"loss": np.float32(0.5), "acc": np.array(0.25)})
    path, headers, body = server.requests[0]
    assert path == "/publish/epoch/end/"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = urllib.parse.parse_qs(body)
    assert json.loads(form["payload"][0]) == {"epoch": 3, "loss": 0.5, "acc": 0.25}


def test_warns_when_the_server_cannot_be_reached_or_refuses():
    with socket.socket() as probe:  # a port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monitor = RemoteMonitor(root=f"http://127.0.0.1:{port}")
    with pytest.warns(UserWarning, match="Could not reach RemoteMonitor root server at "
                                         f"http://127.0.0.1:{port}"):
        monitor.on_epoch_end(0, {"loss": 1.0})
    with Server(status=500) as server, pytest.warns(
            UserWarning, match="RemoteMonitor: the server at .* answered 500"):
        RemoteMonitor(root=server.root).on_epoch_end(0, {"loss": 1.0})


def test_rejects_bad_arguments():
    with pytest.raises(TypeError, match="`RemoteMonitor` expects `root` to be a string. "
                                        "Received: root=9000"):
        RemoteMonitor(root=9000)
    with pytest.raises(TypeError, match="`RemoteMonitor` expects `headers` to be a dict"):
        RemoteMonitor(headers=[("a", "b")])
