#!/usr/bin/env bash
# Composes the base filesystem of every function image: the Debian packages of
# base-packages.txt, the Node binary and a non-root user. The daemonless build and the
# Containerfile both run this script, so both describe the same base.
#   images/rootfs.sh <folder with the .debs> <node binary> <output folder>
set -euo pipefail
debs="$1" node="$2" out="$3"
uid=65532

rm -rf "$out" && mkdir -p "$out"
for deb in $(find "$debs" -maxdepth 1 -name '*.deb' | LC_ALL=C sort); do dpkg-deb -x "$deb" "$out"; done

# The image runs one Node process: no shells, tools, manuals, translations or iconv modules.
# Licence texts (copyright files) stay.
rm -rf "$out"/{bin,sbin,var,usr/bin,usr/sbin,usr/libexec,usr/games} \
  "$out"/usr/share/{man,info,lintian,locale,doc-base,bug,gdb,gcc} "$out"/usr/lib/x86_64-linux-gnu/gconv \
  "$out"/etc/ld.so.conf.d "$out"/etc/ca-certificates.conf "$out"/etc/ca-certificates
[ -d "$out/usr/share/doc" ] && find "$out/usr/share/doc" -type f ! -name copyright -delete
[ -d "$out/usr/share/doc" ] && find "$out/usr/share/doc" -type l -delete
[ -d "$out/usr/share/doc" ] && find "$out/usr/share/doc" -depth -type d -empty -delete

# The bundle update-ca-certificates would write (its postinst does not run here).
mkdir -p "$out/etc/ssl/certs"
find "$out/usr/share/ca-certificates" -name '*.crt' | LC_ALL=C sort | xargs cat > "$out/etc/ssl/certs/ca-certificates.crt"
ln -sfn /usr/share/zoneinfo/Etc/UTC "$out/etc/localtime"

install -D -m 0755 "$node" "$out/usr/local/bin/node"

printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%s:%s:nonroot:/home/nonroot:/sbin/nologin\n' $uid $uid > "$out/etc/passwd"
printf 'root:x:0:\nnonroot:x:%s:\n' $uid > "$out/etc/group"
printf 'hosts: files dns\n' > "$out/etc/nsswitch.conf"
chmod 0644 "$out"/etc/{passwd,group,nsswitch.conf} "$out/etc/ssl/certs/ca-certificates.crt"
mkdir -p "$out/home/nonroot" "$out/root" "$out/tmp" "$out/app"
chmod 0755 "$out/home/nonroot" "$out/app" && chmod 0700 "$out/root" && chmod 1777 "$out/tmp"
# Directory modes must not depend on the umask of whoever builds.
find "$out" -type d ! -path "$out/tmp" ! -path "$out/root" -exec chmod 0755 {} +
