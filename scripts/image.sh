#!/usr/bin/env bash
# Build the container image FROM scratch with the static binaries (make
# image): buildah from Debian's packages, installed when missing; no base
# image is pulled. IMAGE (default localhost/userservice:dev) names it;
# IMAGE_ARCHIVE=path also writes it as an OCI archive (to load elsewhere).
# Storage is vfs and isolation chroot, so it builds without overlayfs or a
# user namespace (inside a container, as here).
set -euo pipefail
LOG_TAG=image
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

IMAGE="${IMAGE:-localhost/userservice:dev}"
GO="${GO:-go}"
export STORAGE_DRIVER="${STORAGE_DRIVER:-vfs}" BUILDAH_ISOLATION="${BUILDAH_ISOLATION:-chroot}"
mkdir -p "$CACHE_DIR"
command -v buildah >/dev/null 2>&1 || apt_install buildah
[ -r /etc/ssl/certs/ca-certificates.crt ] || apt_install ca-certificates

ctx="$(mktemp -d "$CACHE_DIR/image.XXXXXX")"
trap 'rm -rf "$ctx"' EXIT
log "building static binaries"
# CGO off: the binaries must not need a libc, there is none in the image.
CGO_ENABLED=0 "$GO" build -trimpath -ldflags='-s -w' -o "$ctx/" "$ROOT/cmd/userservice" "$ROOT/cmd/usersctl"
if command -v readelf >/dev/null 2>&1; then
  for b in userservice usersctl; do
    # A program interpreter (ld.so) means a dynamic binary: it would not start.
    if LC_ALL=C readelf -l "$ctx/$b" | grep -q 'INTERP'; then die "$b is dynamically linked"; fi
  done
fi
cp /etc/ssl/certs/ca-certificates.crt "$ctx/"
log "buildah build -t $IMAGE (FROM scratch)"
buildah build --quiet --pull=never -f "$ROOT/deploy/Containerfile" -t "$IMAGE" "$ctx" >/dev/null
# Smoke: the binaries start inside the image (no libc, no shell there).
# IMAGE_SMOKE=0 skips it where buildah cannot run a container.
if [ "${IMAGE_SMOKE:-1}" = 1 ]; then
  ctr="$(buildah from --pull=never "$IMAGE")"
  trap 'rm -rf "$ctx"; buildah rm "$ctr" >/dev/null 2>&1 || true' EXIT
  for bin in userservice usersctl; do
    # usersctl without a command prints its usage and exits 2: the text is the check.
    out="$(buildah run "$ctr" -- "/$bin" --help 2>&1 || true)"
    grep -q "^Usage: $bin" <<<"$out" || die "/$bin does not start in the image: $out"
  done
  log "smoke: /userservice and /usersctl start in the image"
fi
if [ -n "${IMAGE_ARCHIVE:-}" ]; then
  rm -f "$IMAGE_ARCHIVE"
  buildah push --quiet "$IMAGE" "oci-archive:$IMAGE_ARCHIVE:$IMAGE"
  log "wrote $IMAGE_ARCHIVE"
fi
buildah images --format '{{.Name}}:{{.Tag}} {{.Size}}' "$IMAGE"
