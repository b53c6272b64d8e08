# Paste this whole block into a shell in the project folder (or run: bash examples/curl-walkthrough.sh).
export BC_CLIENT_ID=demo-client BC_CLIENT_SECRET=demo-secret-0123456789 \
       SESSION_SECRET=$(node -e "console.log(require('crypto').randomBytes(32).toString('hex'))") \
       BC_STORE_HASHES=abc123 ALLOWED_ORIGINS=https://store-abc123.mybigcommerce.com
BASE=http://localhost:${PORT:-3000} ORIGIN=https://store-abc123.mybigcommerce.com
LOG=$(mktemp) JAR=$(mktemp) OLD=$(mktemp)
npm start > "$LOG" 2>&1 &                     # the in-process store: fine for trying it
SERVICE=$!
for i in $(seq 120); do curl -sf "$BASE/healthz" > /dev/null && break; sleep 1; done   # wait until it answers
TOKEN=$(npm run --silent token -- --customer-id 4927 --store-hash abc123)   # signed with BC_CLIENT_SECRET
call() { echo; echo "# $1"; shift; curl -s -w '\n→ %{http_code}\n' "$@"; }

call 'exchange the token once: 201, the session body, and a cookie in the jar' \
  -c "$JAR" -H "Origin: $ORIGIN" -H 'X-CSRF: 1' -H 'Content-Type: text/plain' --data "$TOKEN" "$BASE/session"
cp "$JAR" "$OLD"                              # keep the cookie, to replay it after the logout
call 'read it: 200, and the idle timeout slides' -b "$JAR" -H "Origin: $ORIGIN" -H 'X-CSRF: 1' "$BASE/session"
call 'a backend route reads the same session: 200' -b "$JAR" -H "Origin: $ORIGIN" -H 'X-CSRF: 1' "$BASE/api/me"
call 'without X-CSRF even a read is refused: 403 BCX_CSRF_HEADER_MISSING' -b "$JAR" -H "Origin: $ORIGIN" "$BASE/session"
call 'the same token again: 409 BCX_TOKEN_REPLAYED' \
  -b "$JAR" -c "$JAR" -H "Origin: $ORIGIN" -H 'X-CSRF: 1' -H 'Content-Type: text/plain' --data "$TOKEN" "$BASE/session"
call 'sign out: 204, the session is deleted and the cookie cleared' -b "$JAR" -c "$JAR" -X DELETE -H "Origin: $ORIGIN" -H 'X-CSRF: 1' "$BASE/session"
call 'the old cookie, replayed: 401 BCX_UNAUTHENTICATED (the session is gone server-side)' -b "$OLD" -H 'X-CSRF: 1' "$BASE/session"

kill "$SERVICE"; rm -f "$JAR" "$OLD"          # the service's log stays in $LOG
