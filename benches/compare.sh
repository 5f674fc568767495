#!/usr/bin/env bash
# Compares two Quire binaries on the same URLs, for a change that must not slow pages down:
#
#   benches/compare.sh OLD_BINARY NEW_BINARY [--posts N] [--rounds N]
#
# Imports one generated corpus into a fresh data folder for each, starts both on 127.0.0.1,
# then measures a post, the home page and a tag page (all served from the page cache) with
# wrk (2 threads, 64 connections, 5 s after a 2 s warm-up), alternating between the two
# binaries round after round so both see the same machine. Prints each run and the medians.
# Everything stays on 127.0.0.1 and stops by itself.
set -euo pipefail

[ $# -ge 2 ] || { sed -n '2,10p' "$0"; exit 2; }
old="$1" new="$2"; shift 2
posts=1000 rounds=4
while [ $# -gt 0 ]; do
  case "$1" in
    --posts) posts="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
root=$(cd "$(dirname "$0")/.." && pwd)
command -v wrk >/dev/null || { echo "install wrk first (apt-get install wrk)" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

python3 "$root/../shared/corpus/generate.py" --posts "$posts" --out "$work/corpus.json" >/dev/null
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
declare -A port
for name in old new; do
  binary=${!name}
  port[$name]=$(free_port)
  mkdir -p "$work/$name"
  QUIRE_DATA_DIR="$work/$name" QUIRE_LOG=warn "$binary" import "$work/corpus.json" >/dev/null 2>&1
  QUIRE_DATA_DIR="$work/$name" QUIRE_BIND="127.0.0.1:${port[$name]}" QUIRE_LOG=warn \
    "$binary" serve >"$work/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 200); do curl -fs -o /dev/null "http://127.0.0.1:${port[$name]}/healthz" && break; sleep 0.05; done
done
first="http://127.0.0.1:${port[old]}"
post=$(curl -fs "$first/sitemap-posts.xml" | grep -o '<loc>[^<]*</loc>' | sed -n 10p | sed 's/<[^>]*>//g; s|^http://[^/]*||')
tag=$(curl -fs "$first/sitemap-tags.xml" | grep -o '<loc>[^<]*</loc>' | sed -n 1p | sed 's/<[^>]*>//g; s|^http://[^/]*||')

results="$work/results"
for round in $(seq 1 "$rounds"); do
  for name in old new; do
    for path in "$post" / "$tag"; do
      url="http://127.0.0.1:${port[$name]}$path"
      wrk -t2 -c64 -d2s "$url" >/dev/null 2>&1
      rps=$(wrk -t2 -c64 -d5s "$url" | awk '/^Requests\/sec/ { print $2 }')
      printf '%s\t%s\t%s\t%.0f\n' "$round" "$name" "$path" "$rps" | tee -a "$results"
    done
  done
done
echo
echo "Medians (req/s) over $rounds rounds:"
for path in "$post" / "$tag"; do
  for name in old new; do
    median=$(awk -F'\t' -v n="$name" -v p="$path" '$2 == n && $3 == p { print $4 }' "$results" \
      | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
    printf '%-6s %-50s %10.0f\n' "$name" "$path" "$median"
  done
done
