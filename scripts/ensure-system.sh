#!/usr/bin/env bash
# Installs the Debian packages the local servers need (Redis, MariaDB), only when missing.
# Kafka (Maven Central) and rnacos (a cargo package) are fetched by local/infra on first use.
source "$(dirname "$0")/lib.sh"

need=()
command -v redis-server >/dev/null || need+=(redis-server redis-tools)
command -v mariadbd >/dev/null || need+=(mariadb-server mariadb-client)
command -v java >/dev/null || need+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || need+=(maven)
command -v setsid >/dev/null || need+=(util-linux)
[ ${#need[@]} -eq 0 ] && exit 0

say "installing Debian packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt_install() { as_root apt-get install -y -q --no-install-recommends "${need[@]}"; }
as_root apt-get update -q
# apt once failed with "cannot access archive" while the machine was busy; one retry fixes it.
apt_install || { warn "apt-get install failed, retrying once"; sleep 3; apt_install; }
