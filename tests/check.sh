# Sourced by the integration scripts: check NAME COMMAND... runs COMMAND,
# counts it, prints "ok   NAME" or "FAIL NAME" with the tail of its output;
# check_done prints "N passed, N failed" and gives the exit status. Needs
# $dir (a scratch directory).
passed=0
failed=0

check() {
	local name=$1
	shift
	if "$@" > "$dir/check.out" 2>&1; then
		passed=$((passed + 1))
		echo "ok   $name"
	else
		failed=$((failed + 1))
		echo "FAIL $name"
		sed 's/^/     /' "$dir/check.out" | tail -20
	fi
}

check_done() {
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ]
}
