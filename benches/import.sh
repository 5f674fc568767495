#!/usr/bin/env bash
# Import benchmark: time and peak memory of `quire import` for generated WordPress (WXR) and
# Ghost exports of the same posts.
#
#   benches/import.sh                     # 1,000 posts
#   benches/import.sh --posts 100000      # 100,000 posts (about 1.8 GB of WXR)
#   QUIRE_BIN=target/debug/quire benches/import.sh   # an existing build instead of release
#
# For each format: generates the file, imports it into a fresh SQLite database, and prints
# the file's size, the wall time, and the peak RSS (from /usr/bin/time). A flat peak RSS as
# the WXR file grows is the point: it is read as a stream.
set -euo pipefail

posts=1000
while [ $# -gt 0 ]; do
  case "$1" in
    --posts) posts="$2"; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

root=$(cd "$(dirname "$0")/.." && pwd)
generator="$root/../shared/corpus/generate.py"
[ -f "$generator" ] || { echo "missing $generator" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
quire="${QUIRE_BIN:-}"
if [ -z "$quire" ]; then
  (cd "$root" && cargo build --release -q)
  quire="${CARGO_TARGET_DIR:-$root/target}/release/quire"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

printf '%-8s %8s %10s %10s %12s\n' format posts "size MB" "seconds" "peak RSS MB"
for format in wxr ghost; do
  file="$work/export.$format"
  python3 "$generator" --posts "$posts" --format "$format" --out "$file" >/dev/null
  rm -rf "$work/data"
  start=$(date +%s.%N)
  QUIRE_DATA_DIR="$work/data" QUIRE_LOG=warn /usr/bin/time -f '%M' -o "$work/rss" \
    "$quire" import "$file" --report "$work/report.txt" >/dev/null 2>"$work/err" \
    || { cat "$work/err" >&2; exit 1; }
  end=$(date +%s.%N)
  size=$(stat -c %s "$file")
  printf '%-8s %8d %10.1f %10.1f %12.1f\n' "$format" "$posts" \
    "$(echo "$size / 1048576" | bc -l)" "$(echo "$end - $start" | bc -l)" \
    "$(echo "$(tail -1 "$work/rss") / 1024" | bc -l)"
done
