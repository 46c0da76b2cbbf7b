#!/usr/bin/env bash
# The whole exchange from the shell, no JavaScript (issue 19): an Irish mail provider (executor)
# answers an Austrian request (requester); a third party runs the witness of the provider's
# transparency log. Keys, trust store, seal, custody (acquired, sealed, transferred) logged with
# witnessed receipts, hand-over, bundle, verify under the DEFAULT policy (exit 0, no waivers),
# a flipped byte (exit 1), open on the other side, custody `received`, the completed chain.
#
# Usage: CUSTOS_CLI=/path/to/custos.mjs bash test/e2e/exchange.sh   (or CUSTOS_CLI=dist/cli/main.js)
# E2E_LOG=dir (default): the provider appends to its log directory and asks the witness itself;
# E2E_LOG=url: the provider runs `custos serve log` (which has the witness cosign before it
# publishes) and appends over HTTP with a bearer token.
set -Eeuo pipefail

: "${CUSTOS_CLI:?set CUSTOS_CLI to the built custos CLI (e.g. dist/cli/main.js)}"
CUSTOS_CLI="$(cd "$(dirname "$CUSTOS_CLI")" && pwd)/$(basename "$CUSTOS_CLI")"   # the script works in a temp dir
custos() { node "$CUSTOS_CLI" "$@"; }
fail() { echo "e2e: FAILED: $*" >&2; exit 1; }
current=start
step() { current="$*"; echo "$*"; }

work=$(mktemp -d "${TMPDIR:-/tmp}/custos-e2e-XXXXXX")
witness_pid=
log_pid=
cleanup() {
  rc=$?
  [ "$rc" -eq 0 ] || echo "e2e: FAILED (exit $rc) in step: $current" >&2
  for pid in $log_pid $witness_pid; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
mkdir keys

REQ=AT-WKSTA-2026-000417
CASE=512-St-88/26
PURPOSE=investigation

step "1. keys for three parties"
custos keygen --id IE-MAILSVC --name "Mail provider" --jurisdiction IE --role collector --role custodian -o keys/executor.key 2>/dev/null >/dev/null
custos keygen --pq --id AT-WKSTA --name "Staatsanwaltschaft Wien" --jurisdiction AT --role custodian --role prosecutor -o keys/requester.key 2>/dev/null >/dev/null
# the provider's log: its key is kept outside the directory the log publishes
custos log init log --origin log.mailsvc.example.ie/custody --key keys/log.key > log.vkey
# the witness (another party) runs a C2SP tlog-witness over HTTP
custos serve witness --key keys/witness.skey --name witness.example.org --log "$(cat log.vkey)" --state witness-state.json --listen 127.0.0.1:0 > witness.out 2>witness.err &
witness_pid=$!
for _ in $(seq 1 100); do grep -q '^listening ' witness.out 2>/dev/null && break; sleep 0.1; done
grep -q '^listening ' witness.out || fail "the witness did not start: $(cat witness.err)"
WURL=$(sed -n 's/^listening //p' witness.out)
WKEY=$(sed -n 's/^witness key //p' witness.out)
if [ "${E2E_LOG:-dir}" = url ]; then
  head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > keys/tokens
  custos serve log log --key keys/log.key --listen 127.0.0.1:0 --token-file keys/tokens --witness "$WURL/=$WKEY" --quorum 1 > log.out 2>log.err &
  log_pid=$!
  for _ in $(seq 1 100); do grep -q '^listening ' log.out 2>/dev/null && break; sleep 0.1; done
  grep -q '^listening ' log.out || fail "the log server did not start: $(cat log.err)"
  LOG=(--log "$(sed -n 's/^listening //p' log.out)/" --token-file keys/tokens)
else
  LOG=(--log log --log-key keys/log.key --witness "$WURL/=$WKEY")
fi

step "2. one trust store both sides share"
custos pubkey keys/executor.key > executor.pub.json
custos pubkey keys/requester.key > requester.pub.json
custos trust init -o trust.json 2>/dev/null
custos trust add trust.json --authority executor.pub.json --authority requester.pub.json --log "$(cat log.vkey)" --witness "$WKEY" --quorum 1 >/dev/null

step "3. seal the evidence"
head -c 1048576 /dev/urandom > mx2.raw
SHA256=$(sha256sum mx2.raw | cut -d' ' -f1)
SHA1=$(sha1sum mx2.raw | cut -d' ' -f1)
MD5=$(md5sum mx2.raw | cut -d' ' -f1)
# from stdin, as imaging pipelines do (`ewfexport … | custos seal -`), to the requester named by its
# authority id in the trust store (public material only), with the hashes an imaging tool records;
# the MD5 the "imaging tool" reported is cross-checked in the same read
cat mx2.raw | custos seal - -k keys/executor.key --trust trust.json --to AT-WKSTA --id disk --case "$CASE" --request "$REQ" \
  --purpose "$PURPOSE" --legal-basis "EU 2023/1543 Art. 5" --hash sha256,sha1,md5 --reported "md5=$MD5" \
  --digests-out disk.digests.json -o disk.age 2>/dev/null | grep -q "^$SHA256 " || fail "seal printed another SHA-256"
grep -q "\"sha-1\": \"$SHA1\"" disk.digests.json || fail "seal recorded another SHA-1"
# a reported hash that differs fails the seal and leaves no output
set +e
custos seal - -k keys/executor.key --trust trust.json --to AT-WKSTA --id disk --case "$CASE" --purpose "$PURPOSE" \
  --legal-basis "EU 2023/1543 Art. 5" --reported "md5=00000000000000000000000000000000" -o wrong.age < mx2.raw 2>/dev/null >/dev/null
code=$?
set -e
[ "$code" -eq 1 ] || fail "a wrong reported hash: exit $code, not 1"
[ ! -e wrong.age ] || fail "a refused seal left wrong.age"

step "4. custody: acquired, sealed, transferred; each event logged with witnessed receipts"
custos custody init disk.chain --request "$REQ" --item disk 2>/dev/null
custos custody append disk.chain acquired -k keys/executor.key --trust trust.json --role collector \
  --digests disk.digests.json --authorisation "EPOC=$REQ" \
  --purpose "$PURPOSE" --location "Dublin data centre, rack 12" --note "image of mail server mx2" "${LOG[@]}" >/dev/null
custos custody append disk.chain sealed -k keys/executor.key --trust trust.json --role custodian \
  --digest "sha-256=$SHA256" --seal disk.age.cose --purpose "$PURPOSE" "${LOG[@]}" >/dev/null
custos custody append disk.chain transferred -k keys/executor.key --trust trust.json --role custodian \
  --counterparty AT-WKSTA:custodian --authorisation "EPOC=$REQ" --purpose "$PURPOSE" "${LOG[@]}" >/dev/null
custos custody verify disk.chain --trust trust.json --request "$REQ" --item disk --allow-pending-transfer >/dev/null || fail "the sender's chain does not verify"
# a key of another authority is refused at append, not at verify
if custos custody append disk.chain accessed -k keys/requester.key --actor IE-MAILSVC --trust trust.json --role custodian 2>/dev/null >/dev/null; then fail "another authority's key was accepted"; fi

step "5. hand-over and bundle"
custos custody handover disk.chain --trust trust.json "${LOG[@]}" -o handover >/dev/null
custos bundle create -k keys/executor.key -o bundle.tar --request "$REQ" --case "$CASE" \
  --item disk=disk.age --seal disk=disk.age.cose --custody disk=disk.chain \
  --receipts disk=disk.chain.receipts --handover handover 2>/dev/null

step "6. the requesting side verifies under the default policy"
out=$(custos verify bundle.tar --trust trust.json) || { echo "$out" >&2; fail "verify exited $?"; }
[ -z "${E2E_VERBOSE:-}" ] || printf '%s\n' "$out" >&2
verdict=$(printf '%s\n' "$out" | tail -n 1)
case "$verdict" in "VERIFIED: "*) ;; *) echo "$out" >&2; fail "verdict: $verdict" ;; esac
printf '%s\n' "$out" | grep -q '^ok   witness.quorum' || fail "no witness quorum check"
if [ "${E2E_LOG:-dir}" = url ]; then want=3; else want=6; fi  # over HTTP: tlog-proofs only (see chain-receipts-remote.ts)
[ "$(printf '%s\n' "$out" | grep -c '^ok   receipt ')" -ge "$want" ] || fail "fewer than $want receipts verified"
printf '%s\n' "$out" | grep -q '^ok   custody.logged' || fail "custody.logged did not pass"

step "7. a flipped byte fails (exit 1)"
cp bundle.tar tampered.tar
size=$(stat -c %s tampered.tar)
off=$((size / 2))
byte=$(od -An -tu1 -j "$off" -N1 tampered.tar | tr -d ' ')
printf "$(printf '\\%03o' $(( (byte + 1) % 256 )))" | dd of=tampered.tar bs=1 seek="$off" conv=notrunc 2>/dev/null
set +e
custos verify tampered.tar --trust trust.json >/dev/null
code=$?
set -e
[ "$code" -eq 1 ] || fail "verify of a tampered bundle exited $code, not 1"

step "8. open on the other side, and record received"
custos open bundle.tar disk -k keys/requester.key --trust trust.json --request "$REQ" --purpose "$PURPOSE" -o opened.raw 2>/dev/null
cmp -s opened.raw mx2.raw || fail "the opened item differs from the evidence"
tar -xf bundle.tar custody/disk.cbor
cp custody/disk.cbor received.chain
custos custody append received.chain received -k keys/requester.key --trust trust.json --role custodian \
  --request "$REQ" --item disk --purpose "$PURPOSE" >/dev/null
custos custody verify received.chain --trust trust.json --request "$REQ" --item disk > verified.txt || { cat verified.txt >&2; fail "the completed chain does not verify"; }
grep -q "^VERIFIED: received.chain: chain $REQ/disk, 4 events, custodian AT-WKSTA" verified.txt || fail "$(tail -n 1 verified.txt)"
echo "e2e: OK"
