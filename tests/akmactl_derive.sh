#!/usr/bin/env bash
# akmactl derive end to end: every known answer of tests/vectors/akma.txt in
# text and JSON, the A-KID helper, keys from standard input, and every bad
# input class: exit status 2, one line on stderr naming the option, nothing
# on stdout.
set -u
AKMACTL=${1:?usage: akmactl_derive.sh AKMACTL VECTORS}
VECTORS=${2:?usage: akmactl_derive.sh AKMACTL VECTORS}
passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*" >&2; }

# expect_out WANT ARGS...: exit 0, stdout exactly WANT, stderr empty
expect_out() {
	local want=$1; shift
	"$AKMACTL" "$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$?
	if [ $rc -eq 0 ] && [ "$(cat "$tmp/out")" = "$want" ] && [ ! -s "$tmp/err" ]; then
		ok
	else
		bad "akmactl $* -> rc $rc, out '$(cat "$tmp/out")', err '$(cat "$tmp/err")', want '$want'"
	fi
}

# expect_bad FIELD ARGS...: exit 2, stdout empty, one stderr line naming FIELD
expect_bad() {
	local field=$1; shift
	"$AKMACTL" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	local rc=$?
	local lines
	lines=$(wc -l <"$tmp/err")
	if [ $rc -eq 2 ] && [ ! -s "$tmp/out" ] && [ "$lines" -eq 1 ] && grep -q -- "$field" "$tmp/err"; then
		ok
	else
		bad "akmactl $* -> rc $rc, stdout '$(cat "$tmp/out")', stderr '$(cat "$tmp/err")' (want 2 and '$field')"
	fi
}

# json_field JSON KEY: the value of KEY, via Python's own JSON parser
json_field() {
	python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"
}

n_vectors=0
while read -r kind a b c d; do
	case "$kind" in
	kakma|atid)
		n_vectors=$((n_vectors + 1))
		expect_out "$c" derive "$kind" --kausf "$a" --supi "$b"
		json=$("$AKMACTL" derive "$kind" --kausf "$a" --supi "$b" --json)
		if [ "$(json_field "$json" "$kind")" = "$c" ] && [[ "$(json_field "$json" supi)" =~ ^(imsi|nai)- ]]; then ok; else bad "json $kind: $json"; fi
		# upper-case hex in, lower-case out
		expect_out "$c" derive "$kind" --kausf "${a^^}" --supi "$b"
		;;
	kaf)
		n_vectors=$((n_vectors + 1))
		expect_out "$d" derive kaf --kakma "$a" --af-fqdn "$b" --ua-id "$c"
		expect_out "$d" derive kaf --kakma "$a" --af-id "$b;ua=$c"
		for arch in sse avx avx2; do
			expect_out "$d" derive kaf --kakma "$a" --af-fqdn "$b" --ua-id "$c" --mb-arch $arch
		done
		json=$("$AKMACTL" derive kaf --kakma "$a" --af-fqdn "$b" --ua-id "$c" --json)
		if [ "$(json_field "$json" kaf)" = "$d" ] && [ "$(json_field "$json" af_id)" = "$b;ua=$c" ]; then ok; else bad "json kaf: $json"; fi
		# the key from standard input keeps it out of the process list
		out=$(echo "$a" | "$AKMACTL" derive kaf --kakma - --af-fqdn "$b" --ua-id "$c")
		if [ "$out" = "$d" ]; then ok; else bad "kaf with --kakma -: $out"; fi
		;;
	esac
done < <(grep -v '^#' "$VECTORS")
if [ $n_vectors -ge 11 ]; then ok; else bad "only $n_vectors vectors read from $VECTORS"; fi

# The A-KID: RID.base64url(A-TID)@akma.5gc.mnc<3 digits>.mcc<MCC>.3gppnetwork.org
K=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
akid=$("$AKMACTL" derive akid --kausf $K --supi imsi-001010123456789 --rid 12 --mcc 001 --mnc 01)
atid=$("$AKMACTL" derive atid --kausf $K --supi imsi-001010123456789)
want_tid=$(python3 -c 'import base64,sys; print(base64.urlsafe_b64encode(bytes.fromhex(sys.argv[1])).decode().rstrip("="))' "$atid")
if [ "$akid" = "12.$want_tid@akma.5gc.mnc001.mcc001.3gppnetwork.org" ]; then ok; else bad "akid $akid (A-TID $want_tid)"; fi
json=$("$AKMACTL" derive akid --kausf $K --supi imsi-001010123456789 --rid 12 --mcc 001 --mnc 01 --json)
if [ "$(json_field "$json" akid)" = "$akid" ] && [ "$(json_field "$json" atid)" = "$atid" ]; then ok; else bad "akid json: $json"; fi
out=$(echo $K | "$AKMACTL" derive kakma --kausf - --supi 001010123456789)
if [ "$out" = 3dd5f8b66d40a12d31b8d4856eb5b2c14f9b013bcfccde61dfbbd9185a7fcb3c ]; then ok; else bad "kausf from stdin: $out"; fi

# Bad input: each names its option.
KA=3dd5f8b66d40a12d31b8d4856eb5b2c14f9b013bcfccde61dfbbd9185a7fcb3c
expect_bad --kausf derive kakma --kausf 0 --supi imsi-001010123456789
expect_bad --kausf derive kakma --kausf 0001 --supi imsi-001010123456789
expect_bad --kausf derive atid --kausf "${K}00" --supi imsi-001010123456789
expect_bad --kausf derive atid --kausf "x${K:1}" --supi imsi-001010123456789
expect_bad --kausf derive kakma --kausf - --supi imsi-001010123456789
expect_bad --supi derive kakma --kausf $K --supi imsi-0010
expect_bad --supi derive kakma --kausf $K --supi imsi-00101012345678a
expect_bad --supi derive kakma --kausf $K --supi gci-foo
expect_bad --supi derive kakma --kausf $K --supi nai-nobody
expect_bad --supi derive kakma --kausf $K --supi ''
expect_bad --supi derive atid --kausf $K --supi hello
expect_bad --af-fqdn derive kaf --kakma $KA --af-fqdn '' --ua-id 0100000007
expect_bad --af-fqdn derive kaf --kakma $KA --af-fqdn 'bad_name.com' --ua-id 0100000007
expect_bad --af-fqdn derive kaf --kakma $KA --af-fqdn 'af.example.com.' --ua-id 0100000007
expect_bad --ua-id derive kaf --kakma $KA --af-fqdn af.example.com --ua-id 01000000
expect_bad --ua-id derive kaf --kakma $KA --af-fqdn af.example.com --ua-id 010000000700
expect_bad --ua-id derive kaf --kakma $KA --af-fqdn af.example.com --ua-id 010000007
expect_bad --ua-id derive kaf --kakma $KA --af-fqdn af.example.com --ua-id zz00000007
expect_bad --af-id derive kaf --kakma $KA --af-id af.example.com
expect_bad --af-id derive kaf --kakma $KA --af-id 'af.example.com;ua=01'
expect_bad --kakma derive kaf --kakma "${KA:2}" --af-fqdn af.example.com --ua-id 0100000007
expect_bad --ua-id derive kaf --kakma $KA --af-fqdn af.example.com
expect_bad --kakma derive kaf --af-fqdn af.example.com --ua-id 0100000007
expect_bad --mb-arch derive kaf --kakma $KA --af-fqdn af.example.com --ua-id 0100000007 --mb-arch neon
expect_bad --rid derive akid --kausf $K --supi 001010123456789 --rid 12345 --mcc 001 --mnc 01
expect_bad --mcc derive akid --kausf $K --supi 001010123456789 --rid 1 --mcc 1 --mnc 01
expect_bad --mnc derive akid --kausf $K --supi 001010123456789 --rid 1 --mcc 001 --mnc 1
expect_bad --mnc derive akid --kausf $K --supi 001010123456789 --rid 1 --mcc 001
expect_bad --bogus derive kakma --kausf $K --supi 001010123456789 --bogus
expect_bad --kausf derive kakma --supi 001010123456789 --kausf
expect_bad frobnicate derive frobnicate --kausf $K
expect_bad nonsense nonsense
expect_bad stray derive kakma --kausf $K --supi 001010123456789 stray

# Help is for humans: exit 0 on stdout, and it covers every derivation.
if "$AKMACTL" --help >"$tmp/out" && grep -q 'derive kaf' "$tmp/out" && grep -q -- '--ua-id' "$tmp/out" && grep -q 'Exit status' "$tmp/out"; then ok; else bad "--help"; fi
if "$AKMACTL" derive kaf --help | grep -q -- '--af-fqdn'; then ok; else bad "derive --help"; fi
if "$AKMACTL" --version | grep -q '^akmactl '; then ok; else bad "--version"; fi
"$AKMACTL" >/dev/null 2>&1; if [ $? -eq 2 ]; then ok; else bad "no arguments must exit 2"; fi

echo "akmactl_derive: $passed passed, $failed failed"
[ $failed -eq 0 ] && [ $passed -gt 0 ]
