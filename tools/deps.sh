#!/bin/sh
# Installs raftsim's build dependencies on Debian if they are missing (needs root, or sudo).
set -e
need=""
pkg-config --exists libcjson 2>/dev/null || need="$need libcjson-dev"
pkg-config --exists cmocka 2>/dev/null || need="$need libcmocka-dev"
pkg-config --exists raft 2>/dev/null || need="$need libraft-dev"
command -v pkg-config >/dev/null 2>&1 || need="$need pkg-config"
command -v cc >/dev/null 2>&1 || need="$need gcc"
command -v make >/dev/null 2>&1 || need="$need make"
[ -z "$need" ] && exit 0
echo "raftsim: installing missing build dependencies:$need"
if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "raftsim: run as root: apt-get install -y$need" >&2; exit 2
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq $need
