#!/usr/bin/env bash
# Installs the Debian packages the local servers need (Redis, MariaDB) and the daemonless image
# tools (podman + runc to run an image, skopeo to copy it, docker-registry as the 127.0.0.1
# registry of the image tests), only when missing.
# Kafka (Maven Central) and rnacos (a cargo package) are fetched by tools/servers on first use.
source "$(dirname "$0")/lib.sh"

need=()
command -v redis-server >/dev/null || need+=(redis-server redis-tools)
command -v mariadbd >/dev/null || need+=(mariadb-server mariadb-client)
command -v java >/dev/null || need+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || need+=(maven)
command -v setsid >/dev/null || need+=(util-linux)
command -v podman >/dev/null || need+=(podman)
# crun, podman's default runtime, fails on these hosts (cgroups in hybrid mode); runc works.
command -v runc >/dev/null || need+=(runc)
command -v skopeo >/dev/null || need+=(skopeo)
command -v docker-registry >/dev/null || need+=(docker-registry)
[ ${#need[@]} -eq 0 ] && exit 0

say "installing Debian packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt_install() { as_root apt-get install -y -q --no-install-recommends "${need[@]}"; }
as_root apt-get update -q
# apt once failed with "cannot access archive" while the machine was busy; one retry fixes it.
apt_install || { warn "apt-get install failed, retrying once"; sleep 3; apt_install; }
