#!/bin/sh
# Makes sure the system programs that the book and its tests need are installed.
#
#   sh tools/ensure_system_packages.sh dot             `make book`: Graphviz `dot` draws the graphs
#   sh tools/ensure_system_packages.sh dot chromium    `make test`: also a Chromium for the browser tests
#
# Missing programs are installed from Debian's packages (graphviz, chromium) with apt-get, as root or
# through password-less sudo; otherwise the script stops with a message that says what to install.
# The browser tests use $CHROMIUM when it is set, else the first browser of CHROMIUM_NAMES that runs
# (the same order as tests/browser/conftest.py). Ubuntu's `chromium-browser` is often a stub asking for a
# snap, so a browser counts only if `--version` succeeds.
CHROMIUM_NAMES="chromium chromium-browser google-chrome-stable google-chrome"

have_dot() { command -v dot >/dev/null 2>&1; }

have_chromium() {
    if [ -n "${CHROMIUM:-}" ]; then
        "$CHROMIUM" --version >/dev/null 2>&1 && return 0
        echo "error: CHROMIUM=$CHROMIUM is set but '$CHROMIUM --version' does not run." >&2
        exit 1
    fi
    for name in $CHROMIUM_NAMES; do
        command -v "$name" >/dev/null 2>&1 && "$name" --version >/dev/null 2>&1 && return 0
    done
    return 1
}

# program -> Debian package, and the message for people who cannot use apt-get.
package_of() { case $1 in dot) echo graphviz ;; chromium) echo chromium ;; esac; }

advice() {
    case $1 in
    dot) cat <<'MSG'
  Graphviz 'dot' (the book draws computational graphs with it):
      Debian/Ubuntu: sudo apt-get install graphviz    Fedora: sudo dnf install graphviz
      macOS: brew install graphviz                    conda: conda install -c conda-forge graphviz
MSG
    ;;
    chromium) cat <<'MSG'
  Chromium or Chrome (the browser tests open every page of the built book in it):
      Debian: sudo apt-get install chromium           Fedora: sudo dnf install chromium
      macOS: brew install --cask chromium             or set CHROMIUM=/path/to/chrome
MSG
    ;;
    esac
}

missing=""
for program in "$@"; do
    case $program in
    dot) have_dot || missing="$missing dot" ;;
    chromium) have_chromium || missing="$missing chromium" ;;
    *) echo "usage: $0 [dot] [chromium]  (unknown program '$program')" >&2; exit 2 ;;
    esac
done
[ -z "$missing" ] && exit 0

packages=""
for program in $missing; do packages="$packages $(package_of "$program")"; done

install() {
    echo "Missing:$missing; installing Debian's$packages with apt-get..."
    # shellcheck disable=SC2086  # $packages is a list of words
    $1 env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    $1 env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $packages >/dev/null
}

still_missing() {
    for program in $missing; do
        case $program in
        dot) have_dot || return 0 ;;
        chromium) have_chromium || return 0 ;;
        esac
    done
    return 1
}

if command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        install "" && ! still_missing && exit 0
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        install "sudo" && ! still_missing && exit 0
    fi
fi

echo "error: these programs are missing and this script cannot install them here:$missing" >&2
echo "       Install them, then run make again:" >&2
for program in $missing; do advice "$program" >&2; done
exit 1
