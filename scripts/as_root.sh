# Sourced by the scripts that install system packages or start dockerd (bash).
# as_root CMD...: run CMD as root: directly when we are root, else through sudo; fail with one
# clear line when neither works (no sudo, or sudo would ask for a password with no terminal, as
# in CI), instead of apt-get's "Permission denied" deep in a log.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
        return
    fi
    if ! command -v sudo >/dev/null 2>&1; then
        printf 'error: needs root for `%s`: run this as root (or install sudo)\n' "$*" >&2
        exit 1
    fi
    if ! sudo -n true 2>/dev/null && [ ! -t 0 ]; then
        printf 'error: needs root for `%s`: sudo asks for a password and there is no terminal; ' "$*" >&2
        printf 'run as root or allow passwordless sudo\n' >&2
        exit 1
    fi
    sudo "$@"
}
