#!/bin/sh
# Makes sure the Graphviz `dot` program is on PATH (the graph drawings of the book need it).
# Installs Debian's graphviz package when apt-get is usable as root or through password-less sudo;
# otherwise stops with a message that says what to install.
command -v dot >/dev/null 2>&1 && exit 0

install() {
    echo "The Graphviz 'dot' program is missing; installing Debian's graphviz package..."
    $1 env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    $1 env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends graphviz >/dev/null
}

if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        install "" && command -v dot >/dev/null 2>&1 && exit 0
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        install "sudo" && command -v dot >/dev/null 2>&1 && exit 0
    fi
fi

cat >&2 <<'MSG'
error: the Graphviz 'dot' program is not installed, and this script cannot install it here.
       The book draws computational graphs with it. Install Graphviz, then run make again:
         Debian/Ubuntu:  sudo apt-get install graphviz
         Fedora:         sudo dnf install graphviz
         macOS:          brew install graphviz
         conda:          conda install -c conda-forge graphviz
MSG
exit 1
