#!/usr/bin/env bash
# Load benchmark: Quire against the limit, nginx serving the very same bytes as a static
# file, measured in one run on one machine.
#
#   benches/load.sh                    # 1,000-post corpus on SQLite
#   benches/load.sh --posts 100000     # a generated 100,000-post site
#   benches/load.sh --postgres         # the same on PostgreSQL (QUIRE_BENCH_PG, default
#                                      # postgres://postgres@127.0.0.1:5432/postgres)
#   benches/load.sh --duration 10      # seconds per measurement (default 5, after a 2 s warm-up)
#   benches/load.sh --profile          # instead of the table, where the CPU goes (perf) for
#                                      # the cached post, the uncached post and a member's view
#
# Builds the release binary, imports a generated corpus into a fresh database, starts Quire
# and saves one post page; nginx (Debian's, installed if missing; as many workers as Quire,
# no access log, sendfile, keep-alive) serves that file. Each measurement is wrk with 2
# threads and 64 connections and no Accept-Encoding. Rounds alternate nginx and Quire
# (A B A B) so both see the same machine; each row is the mean of its two rounds and its
# ratio is to nginx's mean. Rows: the cached post, home, tag, sitemap index and RSS feed;
# a post with 200 comments; a post read by a signed-in member; then, restarted with the page
# cache off, the post, home, tag, sitemap index and the 200-comment post. Prints
# requests/s, p50, p99, bytes per response, the ratio to nginx, Quire's peak RSS in each
# phase, how long a start on the existing database takes to serve, and how many lines the
# request log (on, at info) wrote and dropped. Everything stays on 127.0.0.1 and stops by
# itself.
set -euo pipefail

posts=1000
duration=5
postgres=""
profile=""
while [ $# -gt 0 ]; do
  case "$1" in
    --posts) posts="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --postgres) postgres=1; shift ;;
    --profile) profile=1; shift ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

root=$(cd "$(dirname "$0")/.." && pwd)
corpus_generator="$root/../shared/corpus/generate.py"
[ -f "$corpus_generator" ] || { echo "missing $corpus_generator" >&2; exit 1; }
need() { # command package
  command -v "$1" >/dev/null && return 0
  echo "installing $2" >&2
  apt-get install -y -q "$2" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "$2" >/dev/null; }
}
need wrk wrk
[ -x /usr/sbin/nginx ] || need nginx nginx
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

(cd "$root" && cargo build --release -q)
quire="$root/target/release/quire"
work=$(mktemp -d)
chmod 755 "$work"
server=""
nginx_pid=""
database=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null
  wait 2>/dev/null
  [ -n "$database" ] && psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $database" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
base="http://127.0.0.1:$port"
export QUIRE_DATA_DIR="$work/data" QUIRE_BIND="127.0.0.1:$port" QUIRE_LOG=info
if [ -n "$postgres" ]; then
  need psql postgresql-client
  pg_admin="${QUIRE_BENCH_PG:-postgres://postgres@127.0.0.1:5432/postgres}"
  database="quire_bench_$$"
  psql -q "$pg_admin" -c "CREATE DATABASE $database" >/dev/null
  export QUIRE_DATABASE_URL="${pg_admin%/*}/$database"
fi

echo "Generating a $posts-post corpus and importing it…" >&2
python3 "$corpus_generator" --posts "$posts" --out "$work/corpus.json" >/dev/null
import_started=$(date +%s)
"$quire" import "$work/corpus.json" 2>/dev/null | tail -1 >&2
echo "imported in $(( $(date +%s) - import_started )) s" >&2
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

# Request logs stay on, as in production, written to a file as a collector would read them.
start_server() { # extra environment assignments
  env "$@" "$quire" serve >>"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 1000); do
    curl -fs -o /dev/null "$base/healthz" && return 0
    sleep 0.005
  done
  tail -5 "$work/server.log" >&2
  exit 1
}
peaks=""
stop_server() { # the phase's name, for its peak RSS
  local hwm
  hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$server/status" 2>/dev/null || echo 0)
  [ -n "${1:-}" ] && peaks="$peaks${peaks:+, }$1 $(( ${hwm:-0} / 1024 )) MB"
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
}

# Ready time on an existing database: from exec to the first answered request.
started=$(date +%s%N)
start_server
ready_ms=$(( ($(date +%s%N) - started) / 1000000 ))

post=$(curl -fs "$base/sitemap-posts.xml" | grep -o '<loc>[^<]*</loc>' | sed -n 10p | sed 's/<[^>]*>//g; s|^http://[^/]*||')
tag=$(curl -fs "$base/sitemap-tags.xml" | grep -o '<loc>[^<]*</loc>' | sed -n 1p | sed 's/<[^>]*>//g; s|^http://[^/]*||')
# The content API: a page of posts with their tags and authors, and the measured post.
api_list="/api/v1/posts/?include=tags,authors"
api_post="/api/v1/posts/slug$post"

# nginx with the post page as a file: the same bytes Quire sends.
nginx_port=$(free_port)
mkdir -p "$work/nginx/html" "$work/nginx/logs"
curl -fs -o "$work/nginx/html/post.html" "$base$post"
cat >"$work/nginx/nginx.conf" <<EOF
worker_processes $(nproc);
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 65;
  keepalive_requests 1000000;
  client_body_temp_path $work/nginx/tmp;
  proxy_temp_path $work/nginx/tmp;
  fastcgi_temp_path $work/nginx/tmp;
  uwsgi_temp_path $work/nginx/tmp;
  scgi_temp_path $work/nginx/tmp;
  default_type text/html;
  server {
    listen 127.0.0.1:$nginx_port;
    root $work/nginx/html;
  }
}
EOF
mkdir -p "$work/nginx/tmp"
"$nginx_bin" -p "$work/nginx" -c "$work/nginx/nginx.conf" -g 'daemon off;' 2>>"$work/nginx/logs/error.log" &
nginx_pid=$!
nginx_url="http://127.0.0.1:$nginx_port/post.html"
for _ in $(seq 1 500); do curl -fs -o /dev/null "$nginx_url" && break; sleep 0.01; done
curl -fs -o /dev/null "$nginx_url" || { cat "$work/nginx/logs/error.log" >&2; exit 1; }

results="$work/results"
: >"$results"
measure() { # label url [cookie]
  local label="$1" url="$2" cookie="${3:-}" out bytes
  local header=()
  [ -n "$cookie" ] && header=(-H "Cookie: $cookie")
  # Measured while the server is idle: right after a run it may still be clearing a backlog.
  bytes=$(curl -s -o /dev/null -w '%{size_download}' ${cookie:+-H "Cookie: $cookie"} "$url" || echo 0)
  wrk -t2 -c64 -d2s "${header[@]}" "$url" >/dev/null 2>&1
  out=$(wrk -t2 -c64 -d"${duration}s" --latency "${header[@]}" "$url")
  echo "$out" | awk -v label="$label" -v bytes="$bytes" '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /^ +50%/ { p50 = ms($2) }
    /^ +99%/ { p99 = ms($2) }
    /^Requests\/sec/ { rps = $2 }
    /Non-2xx/ { errors = $NF }
    END { printf "%s\t%.0f\t%.3f\t%.3f\t%d\t%s\n", label, rps, p50, p99, bytes, errors + 0 }' >>"$results"
}

sign_in() { # prints the member's session cookie
  local jar="$work/cookies" token
  rm -f "$jar"
  token=$(curl -fs -c "$jar" "$base/account/login" | grep -o 'name="csrf_token" value="[^"]*"' | sed 's/.*value="//; s/"$//')
  curl -fs -o /dev/null -b "$jar" -c "$jar" --data-urlencode "csrf_token=$token" \
    --data-urlencode "email=member@example.com" --data-urlencode "password=bench member password" \
    -H "Origin: $base" "$base/account/login"
  awk '$6 == "quire_session" { print "quire_session=" $7 }' "$jar"
}

session=$(sign_in)
[ -n "$session" ] || { echo "could not sign the member in" >&2; exit 1; }

# Where the server's CPU goes while wrk asks for one URL: the top symbols, self time.
profile_url() { # label url [cookie]
  local label="$1" url="$2" cookie="${3:-}"
  local header=()
  [ -n "$cookie" ] && header=(-H "Cookie: $cookie")
  wrk -t2 -c64 -d2s "${header[@]}" "$url" >/dev/null 2>&1
  perf record -q -F 1999 -p "$server" -o "$work/perf.data" -- sleep "$duration" >/dev/null 2>&1 &
  local recorder=$!
  wrk -t2 -c64 -d"${duration}s" "${header[@]}" "$url" | awk -v label="$label" '/^Requests\/sec/ { print "\n## " label ": " $2 " req/s" }'
  wait "$recorder"
  perf report -i "$work/perf.data" --no-children --sort dso,symbol --stdio 2>/dev/null \
    | grep -v "^#" | grep -v "^$" | sed -E "s/[[:space:]]+-[[:space:]]+-[[:space:]]*$//" | cut -c1-150 | head -"${PROFILE_TOP:-30}" || true
}
if [ -n "$profile" ]; then
  need perf linux-perf
  profile_url "post, cached" "$base$post"
  profile_url "post, signed-in member" "$base$post" "$session"
  stop_server
  start_server QUIRE_PAGE_CACHE=off
  profile_url "post, cache off" "$base$post"
  profile_url "home page, cache off" "$base/"
  stop_server
  exit 0
fi

echo "Measuring (${duration}s per URL, two rounds)…" >&2
for round in 1 2; do
  measure "nginx, static file" "$nginx_url"
  measure "post, cached" "$base$post"
  measure "home page, cached" "$base/"
  measure "tag page, cached" "$base$tag"
  measure "sitemap index, cached" "$base/sitemap.xml"
  measure "RSS feed, cached" "$base/rss/"
  measure "post + 200 comments, cached" "$base/a-long-conversation/"
  measure "post, signed-in member" "$base$post" "$session"
  measure "post + 200, signed in" "$base/a-long-conversation/" "$session"
  measure "API posts list, cached" "$base$api_list"
  measure "API post, cached" "$base$api_post"
done
stop_server "page cache on"

start_server QUIRE_PAGE_CACHE=off
for round in 1 2; do
  measure "nginx, static file" "$nginx_url"
  measure "post, cache off" "$base$post"
  measure "home page, cache off" "$base/"
  measure "tag page, cache off" "$base$tag"
  measure "sitemap index, cache off" "$base/sitemap.xml"
  measure "post + 200, cache off" "$base/a-long-conversation/"
  measure "API posts list, cache off" "$base$api_list"
  measure "API post, cache off" "$base$api_post"
done
stop_server "page cache off"

echo
store="SQLite"; [ -n "$postgres" ] && store="PostgreSQL"
echo "Quire load benchmark: $posts posts on $store, wrk -t2 -c64 -d${duration}s x2, $(nproc) cores, 127.0.0.1"
# Each label's mean over its rounds, in first-seen order; the ratio is to nginx's mean.
awk -F'\t' '
  !($1 in n) { order[++rows] = $1 }
  { n[$1]++; rps[$1] += $2; p50[$1] += $3; if ($4 > p99[$1]) p99[$1] = $4; bytes[$1] = $5; errors[$1] += $6 }
  END {
    limit = rps["nginx, static file"] / n["nginx, static file"]
    printf "%-30s %10s %9s %9s %9s %9s\n", "URL", "req/s", "p50 ms", "p99 ms", "bytes", "x nginx"
    for (i = 1; i <= rows; i++) {
      l = order[i]
      printf "%-30s %10d %9.2f %9.2f %9d %9.3f%s\n", l, rps[l] / n[l], p50[l] / n[l], p99[l], bytes[l], rps[l] / n[l] / limit, (errors[l] > 0 ? "  (" errors[l] " non-2xx)" : "")
    }
  }' "$results"
echo "Peak RSS of Quire: $peaks"
echo "Ready to serve after start on the existing database: ${ready_ms} ms"
logged=$(grep -c ' request request_id=' "$work/server.log" || true)
dropped=$(grep -c 'lines were dropped' "$work/server.log" || true)
echo "Request log: $logged lines written, $dropped reports of dropped lines"
