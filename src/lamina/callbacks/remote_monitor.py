"""`RemoteMonitor`: POST each epoch's logs to an HTTP server."""

import json
import urllib.error
import urllib.parse
import urllib.request
import warnings

import numpy as np
import torch

from lamina.callbacks.callback import Callback
from lamina.registry import register
from lamina.validation import received

# Seconds to wait for the server; a server that hangs must not hang training.
TIMEOUT = 10.0


def _plain(value):
    """A log value as JSON-ready Python (numpy and torch scalars unwrapped)."""
    if isinstance(value, (np.ndarray, np.generic, torch.Tensor)):
        return value.tolist()
    return value


@register("keras.callbacks")
class RemoteMonitor(Callback):
    """Send the logs of every epoch to a server, as an HTTP POST to `root + path`.

    The body is the JSON object `{"epoch": epoch, **logs}`: sent as `application/json` with
    `send_as_json=True`, otherwise as a form (`application/x-www-form-urlencoded`) whose
    field `field` holds the JSON text. Uses only the standard library (`urllib`). A server
    that cannot be reached, or answers with an HTTP error, gives a warning; training goes on.

    Args:
        root: Root URL of the server. Defaults to `"http://localhost:9000"`.
        path: Path, relative to `root`, that receives the events. Defaults to
            `"/publish/epoch/end/"`.
        field: Form field holding the JSON data (only without `send_as_json`). Defaults to
            `"data"`.
        headers: Optional dict of extra HTTP headers. Defaults to `None`.
        send_as_json: Send the JSON object as the request body. Defaults to `False`.

    Raises:
        TypeError: If `root`, `path` or `field` is not a string or `headers` not a dict.

    Example:

    >>> import lamina as keras
    >>> monitor = keras.callbacks.RemoteMonitor(root="http://localhost:9000",
    ...                                         send_as_json=True)
    >>> monitor.root + monitor.path
    'http://localhost:9000/publish/epoch/end/'
    """

    _primary_process_only = True  # several processes: rank 0 alone posts

    def __init__(self, root="http://localhost:9000", path="/publish/epoch/end/", field="data",
                 headers=None, send_as_json=False):
        super().__init__()
        for arg, value in (("root", root), ("path", path), ("field", field)):
            if not isinstance(value, str):
                raise TypeError(f"`RemoteMonitor` expects `{arg}` to be a string. "
                                + received(arg, value))
        if headers is not None and not isinstance(headers, dict):
            raise TypeError("`RemoteMonitor` expects `headers` to be a dict or None. "
                            + received("headers", headers))
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.send_as_json = bool(send_as_json)

    def on_epoch_end(self, epoch, logs=None):
        send = {"epoch": epoch}
        send.update((key, _plain(value)) for key, value in (logs or {}).items())
        if self.send_as_json:
            body = json.dumps(send).encode("utf-8")
            content_type = "application/json"
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(send)}).encode("utf-8")
            content_type = "application/x-www-form-urlencoded"
        headers = {"Content-Type": content_type, **(self.headers or {})}
        url = self.root + self.path
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                response.read()
        except urllib.error.HTTPError as error:  # reached, but refused: say why
            error.close()
            warnings.warn(f"RemoteMonitor: the server at {url} answered {error.code} "
                          f"{error.reason}.", stacklevel=2)
        except (urllib.error.URLError, OSError):
            warnings.warn(f"Could not reach RemoteMonitor root server at {self.root}",
                          stacklevel=2)
