"""`GET /docs`: the OpenAPI schema as a plain HTML page that needs no network.

FastAPI's interactive docs load Swagger UI from a CDN; this page is rendered on the server
from the same schema, with no script at all, so it works on a machine without network access.
"""

import html
import json

METHODS = ("get", "post", "put", "patch", "delete")


def render_docs(openapi):
    """An HTML page listing each operation of an OpenAPI dict: method, path, summary,
    description, request example and response codes.

    Example:
    >>> page = render_docs({"info": {"title": "t", "version": "1"}, "paths": {
    ...     "/healthz": {"get": {"summary": "Liveness", "responses": {"200": {}}}}}})
    >>> "GET</span> <code>/healthz</code>" in page
    True
    """
    info = openapi.get("info", {})
    title = html.escape(str(info.get("title", "API")))
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{title} - API</title>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        "<link rel='icon' href='data:,'><link rel='stylesheet' href='/static/style.css'>",
        "</head><body class='docs'>",
        (f"<header><h1>{title}</h1><p>Version {html.escape(str(info.get('version', '')))}. "
         f"{html.escape(str(info.get('description', '')))} The machine-readable schema is at "
         "<a href='/openapi.json'>/openapi.json</a>; the web page at <a href='/'>/</a>.</p>"
         "</header><main>"),
    ]
    for path, operations in openapi.get("paths", {}).items():
        for method in METHODS:
            if method in operations:
                parts.append(_operation(method, path, operations[method]))
    parts.append("</main></body></html>")
    return "".join(parts)


def _operation(method, path, operation):
    out = [(f"<section class='operation'><h2><span class='method'>{method.upper()}</span> "
            f"<code>{html.escape(path)}</code> {html.escape(operation.get('summary', ''))}</h2>")]
    if operation.get("description"):
        out.append(f"<p>{html.escape(operation['description'])}</p>")
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if body:
        out.append("<h3>Request body (application/json)</h3>")
        description = body.get("schema", {}).get("properties", {}).get("inputs", {})
        if description.get("description"):
            out.append(f"<p>{html.escape(description['description'])}</p>")
        if "example" in body:
            example = json.dumps(body["example"])
            if len(example) > 400:
                example = example[:400] + " ..."
            out.append(f"<pre>{html.escape(example)}</pre>")
    out.append("<h3>Responses</h3><ul>")
    for code, response in operation.get("responses", {}).items():
        out.append(f"<li><code>{html.escape(str(code))}</code> "
                   f"{html.escape(str(response.get('description', '')))}</li>")
    out.append("</ul></section>")
    return "".join(out)
