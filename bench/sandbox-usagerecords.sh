#!/usr/bin/env bash
# Benchmark of the Partner Center sandbox at scale (issue "Done when": 10,000 customers in
# under 200 MB, GET /v1/customers/usagerecords in under a second).
#
# Builds the release binary, starts it with $CUSTOMERS customers under /usr/bin/time -v (for
# the maximum resident set size), signs a demo user in (authorize + PKCE + token exchange),
# then times GET /v1/customers/usagerecords with curl: the first request, $RUNS more, and the
# first request after the clock moves to the last day of the month (usage book recomputed
# over 31 days).
#
# Usage: bench/sandbox-usagerecords.sh   (env: CUSTOMERS=10000 PORT=18181 RUNS=10)
set -euo pipefail
cd "$(dirname "$0")/.."

CUSTOMERS=${CUSTOMERS:-10000}
PORT=${PORT:-18181}
RUNS=${RUNS:-10}
BASE="http://127.0.0.1:$PORT"
TENANT=6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7
CLIENT_ID=3c9d5e7f-1a2b-4c3d-9e8f-7a6b5c4d3e2f
CLIENT_SECRET=sandbox-demo-secret
REDIRECT=http://127.0.0.1:8080/auth/callback
WORK=$(mktemp -d)

cargo build --release -p partner-center-sandbox >&2
BIN=target/release/partner-center-sandbox

/usr/bin/time -v -o "$WORK/time.txt" "$BIN" --bind "127.0.0.1:$PORT" --customers "$CUSTOMERS" \
    >"$WORK/sandbox.log" 2>&1 &
TIME_PID=$!
started=$(date +%s.%N)
until curl -s -o /dev/null "$BASE/_sandbox/clock"; do sleep 0.05; done
ready=$(date +%s.%N)

VERIFIER=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')
CHALLENGE=$(python3 -c 'import sys,hashlib,base64; print(base64.urlsafe_b64encode(hashlib.sha256(sys.argv[1].encode()).digest()).rstrip(b"=").decode())' "$VERIFIER")
LOCATION=$(curl -s -o /dev/null -w '%{redirect_url}' -X POST "$BASE/$TENANT/oauth2/v2.0/authorize" \
    --data-urlencode "client_id=$CLIENT_ID" --data-urlencode "redirect_uri=$REDIRECT" \
    --data-urlencode response_type=code \
    --data-urlencode "scope=openid offline_access https://api.partnercenter.microsoft.com/user_impersonation" \
    --data-urlencode state=bench --data-urlencode nonce=bench \
    --data-urlencode "code_challenge=$CHALLENGE" --data-urlencode code_challenge_method=S256 \
    --data-urlencode login=adele@northwindcsp.onmicrosoft.com)
CODE=$(python3 -c 'import sys,urllib.parse as u; print(u.parse_qs(u.urlparse(sys.argv[1]).query)["code"][0])' "$LOCATION")
TOKEN=$(curl -s -X POST "$BASE/$TENANT/oauth2/v2.0/token" \
    --data-urlencode grant_type=authorization_code --data-urlencode "code=$CODE" \
    --data-urlencode "redirect_uri=$REDIRECT" --data-urlencode "client_id=$CLIENT_ID" \
    --data-urlencode "client_secret=$CLIENT_SECRET" --data-urlencode "code_verifier=$VERIFIER" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

fetch() {
    curl -s -o "$WORK/records.json" -w '%{http_code} %{time_total} %{size_download}\n' \
        -H "Authorization: Bearer $TOKEN" "$BASE/v1/customers/usagerecords"
}

echo "customers:            $CUSTOMERS"
printf 'start-up to ready:    %.2f s\n' "$(echo "$ready - $started" | bc)"
read -r status first size < <(fetch)
echo "first request:        $first s (HTTP $status, $size bytes)"
items=$(python3 -c 'import json; print(len(json.load(open("'"$WORK"'/records.json"))["items"]))')
echo "items:                $items"
times=()
for _ in $(seq "$RUNS"); do
    read -r _ t _ < <(fetch)
    times+=("$t")
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "next %d requests:     median %s s, max %s s\n", NR, a[int((NR+1)/2)], a[NR]}'

MONTH_END=$(python3 -c 'import datetime as d; t=d.date.today(); n=(t.replace(day=28)+d.timedelta(days=4)).replace(day=1); print((n-d.timedelta(days=1)).isoformat()+"T12:00:00Z")')
curl -s -o /dev/null -X PUT -H 'content-type: application/json' -d "{\"now\":\"$MONTH_END\"}" "$BASE/_sandbox/clock"
read -r status last size < <(fetch)
echo "last day of month:    $last s (HTTP $status, $size bytes, usage book recomputed)"
read -r status again size < <(fetch)
echo "  then:               $again s"

SANDBOX_PID=$(pgrep -P "$TIME_PID")
kill -INT "$SANDBOX_PID"
wait "$TIME_PID" || true
rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
echo "max RSS:              $((rss_kb / 1024)) MB ($rss_kb kB)"
rm -rf "$WORK"
