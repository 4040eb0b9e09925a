#!/usr/bin/env sh
# Programs some tests drive: Chromium (the `lamina serve` page in a real browser) and Graphviz
# (`plot_model` through `dot`). In CI (CI=true, root, Debian's apt) they are installed here;
# elsewhere nothing is installed, and the tests that need them skip, saying why.
missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v dot >/dev/null 2>&1 || missing="$missing graphviz"
[ -z "$missing" ] && exit 0
if [ "${CI:-}" = "true" ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing for the browser and plot tests:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q $missing >/dev/null 2>&1 \
        || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q $missing >/dev/null 2>&1; } \
        || echo "Could not install$missing; the tests that need them will skip."
else
    echo "Not installed:$missing (the browser or Graphviz tests will skip; CI installs them)."
fi
exit 0
