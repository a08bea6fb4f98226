# shellcheck shell=bash
# The bench's cached Debian rootfs, for base images built without any registry. Sourced (after lib.sh), never run.
# Shared by base-image.sh (Node) and python-image.sh: whichever runs first makes the tarball for both.

BENCH_SUITE=bookworm
BENCH_ROOTFS_TAR=$BENCH_CACHE/rootfs/$BENCH_SUITE-minbase.tar

# The machine's configured Debian mirror (deb822 first, then one-line format, then deb.debian.org).
bench_debian_mirror() {
  if [[ -n ${MLP_BENCH_DEBIAN_MIRROR:-} ]]; then
    echo "$MLP_BENCH_DEBIAN_MIRROR"
    return
  fi
  local uri=''
  if [[ -r /etc/apt/sources.list.d/debian.sources ]]; then
    uri=$(awk -v suite="$BENCH_SUITE" '
      /^[[:space:]]*$/ { if (uris != "" && ok) { print uris; exit } uris = ""; ok = 0; next }
      $1 == "URIs:" { uris = $2 }
      $1 == "Suites:" { for (i = 2; i <= NF; i++) if ($i == suite) ok = 1 }
      END { if (uris != "" && ok) print uris }
    ' /etc/apt/sources.list.d/debian.sources | head -n1)
  fi
  if [[ -z $uri && -r /etc/apt/sources.list ]]; then
    uri=$(awk -v suite="$BENCH_SUITE" '$1 == "deb" && $3 == suite { print $2; exit }' /etc/apt/sources.list)
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

# bench_minbase_rootfs WHO: make $BENCH_ROOTFS_TAR (debootstrap --variant=minbase, slimmed) unless it exists.
# WHO prefixes the progress line. Needs root and debootstrap only the first time.
bench_minbase_rootfs() {
  local who=$1 dir build mirror
  [[ -s $BENCH_ROOTFS_TAR ]] && return 0
  have debootstrap || missing "debootstrap not installed"
  [[ $(id -u) == 0 ]] || missing "debootstrap needs root"
  dir=$(dirname "$BENCH_ROOTFS_TAR")
  mirror=$(bench_debian_mirror)
  mkdir -p "$dir"
  build=$dir/build.$$
  echo "$who: debootstrap --variant=minbase $BENCH_SUITE from $mirror (once; cached as $BENCH_ROOTFS_TAR)"
  if ! debootstrap --variant=minbase --include=ca-certificates "$BENCH_SUITE" "$build" "$mirror" >"$dir/debootstrap.log" 2>&1; then
    rm -rf "$build"
    die "debootstrap failed; see $dir/debootstrap.log"
  fi
  # Slim it: package caches and lists are not needed at run time.
  rm -rf "$build"/var/cache/apt/archives/*.deb "$build"/var/lib/apt/lists/* "$build"/usr/share/doc/* \
    "$build"/usr/share/man/* "$build"/usr/share/locale/* "$build"/var/log/*
  tar --numeric-owner -C "$build" -cf "$BENCH_ROOTFS_TAR.tmp" .
  mv "$BENCH_ROOTFS_TAR.tmp" "$BENCH_ROOTFS_TAR"
  rm -rf "$build"
}
