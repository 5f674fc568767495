#!/usr/bin/env bash
# Load benchmark: Quire against the limit (a static file served by the same server), in one run.
#
#   benches/load.sh                 # 1,000-post corpus
#   benches/load.sh --posts 100000  # the same with a generated 100,000-post site
#
# Builds the release binary, imports a generated corpus into a fresh database, starts Quire,
# saves one post page as a static file the same server serves, then measures each URL with wrk
# (2 threads, 64 connections, 10 s after a 3 s warm-up): the static file, the post (cached),
# the home page, a tag page, the sitemap index, the RSS feed, and the post again with the page
# cache off; then a post with 200 comments (threaded), cached and not, and a post as a
# signed-in member sees it (never cached: made for them). Prints requests/s, p50, p99, bytes per response, each row's ratio to the static
# file, Quire's peak RSS, and how long a restart on the existing database takes to serve.
# Everything stays on 127.0.0.1 and stops by itself.
set -euo pipefail

posts=1000
duration=10
while [ $# -gt 0 ]; do
  case "$1" in
    --posts) posts="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

root=$(cd "$(dirname "$0")/.." && pwd)
corpus_generator="$root/../shared/corpus/generate.py"
[ -f "$corpus_generator" ] || { echo "missing $corpus_generator" >&2; exit 1; }
if ! command -v wrk >/dev/null; then
  echo "installing wrk" >&2
  apt-get install -y -q wrk >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }
fi

(cd "$root" && cargo build --release -q)
quire="$root/target/release/quire"
work=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
export QUIRE_DATA_DIR="$work/data" QUIRE_BIND="127.0.0.1:$port" QUIRE_LOG=warn

echo "Generating a $posts-post corpus and importing it…" >&2
python3 "$corpus_generator" --posts "$posts" --out "$work/corpus.json" >/dev/null
"$quire" import "$work/corpus.json" 2>/dev/null | tail -1 >&2
rm -f "$work/corpus.json"

# A post with a long conversation: 200 comments, every fourth a reply to the one before.
python3 - "$work/conversation.json" <<'PY'
import json, sys
body = "A comment with *some* emphasis, a [link](https://example.com/) and enough words to " \
       "read like a real reader's thought about the post above it. " * 2
comments = []
for i in range(200):
    comments.append({
        "id": str(i + 1), "post": "a-long-conversation",
        "parent": str(i) if i % 4 == 3 else None,
        "author_name": f"Reader {i % 37}", "author_email": f"reader{i % 37}@example.com",
        "markdown": body, "status": "approved",
        "created_at": f"2026-01-{1 + i // 24:02d}T{i % 24:02d}:00:00Z",
    })
json.dump({"format": "quire-export", "version": 1, "posts": [{
    "slug": "a-long-conversation", "title": "A long conversation",
    "markdown": "The post readers keep talking about.\n\n" + "A paragraph of the post. " * 80,
    "published_at": "2025-12-31T12:00:00Z"}], "comments": comments}, open(sys.argv[1], "w"))
PY
"$quire" import "$work/conversation.json" 2>/dev/null | tail -1 >&2
# A member, for the signed-in view.
QUIRE_PASSWORD="bench member password" "$quire" create-user --email member@example.com \
  --name Member --role member >/dev/null

start_server() { # extra environment assignments
  env "$@" "$quire" serve >"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 500); do
    curl -fs -o /dev/null "$base/healthz" && return 0
    sleep 0.01
  done
  cat "$work/server.log" >&2
  exit 1
}
stop_server() { kill "$server"; wait "$server" 2>/dev/null || true; server=""; }

# Ready time on an existing database: from exec to the first answered request.
started=$(date +%s%N)
start_server
ready_ms=$(( ($(date +%s%N) - started) / 1000000 ))

post=$(curl -fs "$base/sitemap-posts.xml" | grep -o '<loc>[^<]*</loc>' | sed -n 10p | sed 's/<[^>]*>//g; s|^http://[^/]*||')
tag=$(curl -fs "$base/sitemap-tags.xml" | grep -o '<loc>[^<]*</loc>' | sed -n 1p | sed 's/<[^>]*>//g; s|^http://[^/]*||')
curl -fs -o "$work/data/static/bench-post.html" "$base$post"

results="$work/results"
: >"$results"
measure() { # label path [cookie]
  local label="$1" path="$2" cookie="${3:-}" out bytes
  local header=()
  [ -n "$cookie" ] && header=(-H "Cookie: $cookie")
  wrk -t2 -c64 -d3s "${header[@]}" "$base$path" >/dev/null 2>&1
  out=$(wrk -t2 -c64 -d"${duration}s" --latency "${header[@]}" "$base$path")
  bytes=$(curl -fs -o /dev/null -w '%{size_download}' ${cookie:+-H "Cookie: $cookie"} "$base$path")
  echo "$out" | awk -v label="$label" -v path="$path" -v bytes="$bytes" '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /^ +50%/ { p50 = ms($2) }
    /^ +99%/ { p99 = ms($2) }
    /^Requests\/sec/ { rps = $2 }
    /Non-2xx/ { errors = $NF }
    END { printf "%s\t%s\t%.0f\t%.2f\t%.2f\t%d\t%s\n", label, path, rps, p50, p99, bytes, errors + 0 }' >>"$results"
}

rss_sampler() { # samples the server's peak RSS (VmHWM) every 100 ms into $work/rss
  while kill -0 "$1" 2>/dev/null; do
    awk '/VmHWM/ { print $2 }' "/proc/$1/status" 2>/dev/null >"$work/rss.tmp" && mv "$work/rss.tmp" "$work/rss"
    sleep 0.1
  done
}

echo "Measuring (${duration}s per URL)…" >&2
rss_sampler "$server" &
measure "static file (the limit)" "/static/bench-post.html"
measure "post, cached" "$post"
measure "home page" "/"
measure "tag page" "$tag"
measure "sitemap index" "/sitemap.xml"
measure "RSS feed" "/rss/"
measure "post + 200 comments" "/a-long-conversation/"
# Signed in: the login form's token, then the session cookie it sets.
jar="$work/cookies"
token=$(curl -fs -c "$jar" "$base/account/login" | grep -o 'name="csrf_token" value="[^"]*"' | sed 's/.*value="//; s/"$//')
curl -fs -o /dev/null -b "$jar" -c "$jar" --data-urlencode "csrf_token=$token" \
  --data-urlencode "email=member@example.com" --data-urlencode "password=bench member password" \
  -H "Origin: $base" "$base/account/login"
session=$(awk '$6 == "quire_session" { print "quire_session=" $7 }' "$jar")
[ -n "$session" ] || { echo "could not sign the member in" >&2; exit 1; }
measure "post, signed in" "$post" "$session"
measure "post + 200, signed in" "/a-long-conversation/" "$session"
peak_kb=$(cat "$work/rss")
stop_server

start_server QUIRE_PAGE_CACHE=off
measure "post, cache off" "$post"
measure "home page, cache off" "/"
measure "tag page, cache off" "$tag"
measure "post + 200, cache off" "/a-long-conversation/"
stop_server

echo
echo "Quire load benchmark: $posts posts, wrk -t2 -c64 -d${duration}s, $(nproc) cores, 127.0.0.1"
awk -F'\t' 'NR == 1 { limit = $3 }
  BEGIN { printf "%-24s %10s %9s %9s %9s %8s\n", "URL", "req/s", "p50 ms", "p99 ms", "bytes", "vs static" }
  { printf "%-24s %10d %9.2f %9.2f %9d %7.0f%%%s\n", $1, $3, $4, $5, $6, 100 * $3 / limit, ($7 > 0 ? "  (" $7 " non-2xx)" : "") }' "$results"
echo "Peak RSS under load (page cache on): $((peak_kb / 1024)) MB"
echo "Ready to serve after start on the existing database: ${ready_ms} ms"
