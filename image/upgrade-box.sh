#!/bin/bash
# Install a newer Dangan over an older box, keeping its data.
#
#   upgrade-box.sh [options] WHEELHOUSE
#
# WHEELHOUSE is a directory holding the new dangan wheel and every wheel it depends on (the box needs no network).
# The new release is built as a venv in <prefix>/releases/<version>/, the services are stopped, the <prefix>/venv
# symlink is switched to the new release and `dangan migrate` runs as the service user: it snapshots the database
# first and puts the snapshot back if a migration fails. Then this script switches the symlink back and starts the
# old release; on success it starts the new one and waits for /api/v1/health. The previous release is kept for a
# rollback by hand (switch the symlink back and restore <home>/upgrades/<from>-to-<to>-<time>/); older ones go.
#
# Options:
#   --prefix DIR          where releases/ and the venv symlink live (default /opt/dangan)
#   --version VERSION     the version to install (default: the newest dangan-*.whl in WHEELHOUSE)
#   --user NAME           the service user that runs `dangan migrate` (default dangan)
#   --python PATH         the Python that builds the venv (default python3)
#   --no-systemctl        neither stop nor start systemd units (tests; a box without systemd)
#   --no-health-check     do not wait for the console to answer after the start
#   --health-url URL      default https://127.0.0.1/api/v1/health
#   --health-timeout S    seconds to wait for it (default 180)
#
# Exit status: 0 upgraded (or already current), 1 the upgrade failed and the old release runs again,
# 2 bad usage, 3 upgraded but the console does not answer (the new release stays: its schema is migrated).
set -euo pipefail

prefix=/opt/dangan
version=""
service_user=dangan
python=python3
use_systemctl=1
health_check=1
health_url=https://127.0.0.1/api/v1/health
health_timeout=180
# The socket too: a request during the upgrade would otherwise start the web service, and with it
# dangan-migrate.service, beside this script's own migration.
units=(dangan.target dangan-web.socket dangan-web.service dangan-agent.service dangan-worker.service
       dangan-migrate.service)

say() { printf 'upgrade-box: %s\n' "$*" >&2; }
die() { say "$1"; exit "${2:-1}"; }

usage() {
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
    exit 2
}

parse_arguments() {
    while [ $# -gt 0 ]; do
        case "$1" in
            --prefix) prefix=${2:?--prefix needs a directory}; shift 2 ;;
            --version) version=${2:?--version needs a version}; shift 2 ;;
            --user) service_user=${2:?--user needs a name}; shift 2 ;;
            --python) python=${2:?--python needs a path}; shift 2 ;;
            --no-systemctl) use_systemctl=0; shift ;;
            --no-health-check) health_check=0; shift ;;
            --health-url) health_url=${2:?--health-url needs a URL}; shift 2 ;;
            --health-timeout) health_timeout=${2:?--health-timeout needs seconds}; shift 2 ;;
            -h|--help) usage ;;
            -*) say "unknown option $1"; usage ;;
            *) [ -z "${wheelhouse:-}" ] || { say "one WHEELHOUSE only"; usage; }; wheelhouse=$1; shift ;;
        esac
    done
    [ -n "${wheelhouse:-}" ] || { say "WHEELHOUSE missing"; usage; }
    [ -d "$wheelhouse" ] || die "no such directory: $wheelhouse" 2
    wheelhouse=$(cd "$wheelhouse" && pwd)
}

# The newest version among WHEELHOUSE's dangan wheels (dangan-<version>-<tags>.whl).
wheel_version() {
    local newest
    newest=$(find "$wheelhouse" -maxdepth 1 -name 'dangan-*.whl' -printf '%f\n' | cut -d- -f2 | sort -V | tail -n 1)
    [ -n "$newest" ] || die "no dangan-*.whl in $wheelhouse" 2
    printf '%s\n' "$newest"
}

# A release is complete once its marker is written, the last step of a build: a half-built one is built again.
build_release() {
    local release=$1
    if [ -f "$release/.installed" ]; then
        say "release $version is built already: $release"
        return
    fi
    rm -rf -- "$release"
    mkdir -p "$prefix/releases"
    say "building release $version in $release"
    # In place, never renamed afterwards: a venv's scripts name its Python by absolute path.
    "$python" -m venv "$release"
    "$release/bin/python" -m pip install --quiet --no-index --find-links "$wheelhouse" \
        --disable-pip-version-check --no-cache-dir "dangan==$version"
    printf '%s\n' "$version" > "$release/.installed"
}

systemctl_do() {
    if [ "$use_systemctl" = 1 ]; then
        systemctl "$@"
    fi
}

# Replace the venv symlink in one rename, so that no process ever sees it missing or half written. The link is
# relative (releases/<version>), as the image makes it, so the tree still works when mounted elsewhere.
point_venv_at() {
    ln -sfn -- "releases/${1##*/}" "$prefix/venv.switching"
    mv -T -- "$prefix/venv.switching" "$prefix/venv"
    sync -- "$prefix" 2>/dev/null || true
}

run_migrate() {
    local command=("$prefix/venv/bin/dangan" migrate)
    if [ "$(id -un)" = "$service_user" ]; then
        "${command[@]}"
    else
        id -u "$service_user" >/dev/null 2>&1 || die "no user $service_user to run the migration as" 2
        (cd / && runuser -u "$service_user" -- env LANG=C.UTF-8 "${command[@]}")
    fi
}

roll_back() {
    local previous=$1
    if [ -n "$previous" ] && [ -d "$previous" ]; then
        point_venv_at "$previous"
        say "migration failed: the database was put back by dangan migrate; venv points at $previous again"
        systemctl_do start dangan.target || say "starting dangan.target failed: see systemctl status dangan.target"
        die "upgrade to $version FAILED; the previous release runs again (the new one is kept in $release)"
    fi
    rm -f -- "$prefix/venv"
    die "installing $version FAILED and there is no previous release to go back to"
}

wait_until_healthy() {
    [ "$use_systemctl" = 1 ] && [ "$health_check" = 1 ] || return 0
    say "waiting up to $health_timeout s for $health_url"
    if ! ask_health; then
        die "release $version is installed and migrated but the console does not answer: journalctl -u dangan-web" 3
    fi
}

ask_health() {
    "$python" - "$health_url" "$health_timeout" <<'PYTHON'
import json, ssl, sys, time, urllib.request
url, deadline = sys.argv[1], time.monotonic() + float(sys.argv[2])
context = ssl._create_unverified_context()  # the box's own certificate, asked on its loopback
while True:
    try:
        with urllib.request.urlopen(url, timeout=10, context=context) as response:
            body = json.load(response)
            if body.get("status") == "ok":
                print(f"console answers: version {body.get('version')}", file=sys.stderr)
                sys.exit(0)
    except (OSError, ValueError):
        pass
    if time.monotonic() > deadline:
        sys.exit(1)
    time.sleep(2)
PYTHON
}

# Keep the current and the previous release; remove the others (and nothing outside releases/).
prune_releases() {
    local keep_current=$1 keep_previous=$2 candidate
    for candidate in "$prefix"/releases/*/; do
        candidate=${candidate%/}
        [ -d "$candidate" ] || continue
        if [ "$candidate" != "$keep_current" ] && [ "$candidate" != "$keep_previous" ]; then
            say "removing old release $candidate"
            rm -rf -- "$candidate"
        fi
    done
}

main() {
    parse_arguments "$@"
    [ -n "$version" ] || version=$(wheel_version)
    mkdir -p "$prefix"
    prefix=$(realpath -- "$prefix")  # every release path compared below is canonical
    exec 9>"$prefix/.upgrade.lock"
    flock -n 9 || die "another upgrade is running (lock $prefix/.upgrade.lock)"
    release="$prefix/releases/$version"
    local previous=""
    if [ -L "$prefix/venv" ]; then
        previous=$(readlink -f -- "$prefix/venv")
    fi
    if [ "$previous" = "$release" ] && [ -f "$release/.installed" ]; then
        say "release $version is the current one already: nothing to do"
        return 0
    fi
    build_release "$release"
    "$release/bin/dangan" --version >/dev/null || die "the new release does not start: $release/bin/dangan --version"
    say "stopping Dangan (${units[*]})"
    systemctl_do stop "${units[@]}"
    point_venv_at "$release"
    say "venv points at $release; migrating the database"
    run_migrate || roll_back "$previous"
    systemctl_do start dangan.target
    wait_until_healthy
    prune_releases "$release" "$previous"
    say "upgraded to $version (previous release kept: ${previous:-none})"
}

main "$@"
