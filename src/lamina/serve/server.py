"""Run the prediction service with uvicorn: what `lamina serve` calls."""

import ipaddress
import sys

from lamina.serve.middleware import DEFAULT_MAX_BODY_BYTES

LOOPBACK_NAMES = ("localhost",)


def load_model_for_serving(filepath):
    """Load a `.keras` file in safe mode (no code from the file runs), without its optimizer."""
    from lamina.saving import load_model

    return load_model(filepath, compile=False, safe_mode=True)


def serve_model(model, host="127.0.0.1", port=8000, max_batch_size=32, batch_window_ms=2.0,
                batching=True, max_body_bytes=DEFAULT_MAX_BODY_BYTES, log_level="info"):
    """Serve `model` over HTTP until interrupted (Ctrl-C).

    Args:
        model: A built lamina model (see `load_model_for_serving` for a file).
        host: Address to bind. Defaults to `"127.0.0.1"` (this machine only); `"0.0.0.0"`
            makes the service reachable from the network, with no authentication.
        port: TCP port. Defaults to 8000.
        max_batch_size: See `create_app`. Defaults to 32.
        batch_window_ms: See `create_app`. Defaults to 2.
        batching: See `create_app`. Defaults to `True`.
        max_body_bytes: See `create_app`. Defaults to 8 MiB.
        log_level: uvicorn's log level. Defaults to `"info"`.

    Raises:
        ImportError: If FastAPI or uvicorn is not installed (`pip install "lamina[serve]"`).
    """
    from lamina.serve.app import create_app

    try:
        import uvicorn
    except ImportError as error:
        raise ImportError('`lamina serve` needs FastAPI and uvicorn. Install them with: '
                          'pip install "lamina[serve]"') from error
    app = create_app(model, max_batch_size=max_batch_size, batch_window_ms=batch_window_ms,
                     batching=batching, max_body_bytes=max_body_bytes)
    if not is_loopback(host):
        print(f"Warning: binding {host} makes the model reachable from other machines; the "
              "service has no authentication.", file=sys.stderr)
    mode = (f"batching up to {max_batch_size} samples within {batch_window_ms:g} ms"
            if batching else "no batching")
    shown = f"[{host}]" if ":" in host else host
    print(f"Serving model '{app.state.service.spec.name}' at http://{shown}:{port}/ ({mode}). "
          "Press Ctrl-C to stop.", flush=True)
    uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level=log_level,
                                  server_header=False, timeout_keep_alive=5)).run()


def is_loopback(host):
    """Whether `host` only accepts connections from this machine.

    Example:
    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
