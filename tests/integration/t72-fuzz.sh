#!/bin/bash
# A short fuzzing run in make check: each libFuzzer target (fuzz/, make fuzz-short-NAME) for
# NSJ_FUZZ_SECONDS (default 5) from a scratch copy of its seeds in build/fuzz/short-NAME/. Any
# crash, leak, timeout, out-of-memory, sanitizer report or broken invariant (the targets abort
# on one) fails; nothing is written to the source tree. The long campaigns are make fuzz-long.
. tests/lib.sh

secs=${NSJ_FUZZ_SECONDS:-5}
FB=$NSJ_BUILD/fuzz
names=(config template)

if ! command -v "${FUZZ_CC:-clang}" >/dev/null; then
	for n in "${names[@]}"; do skip "fuzz_$n: clang is not installed (tools/deps installs it)"; done
	done_testing
fi
# The targets carry clang's ASan runtime, linked in: a sanitizer world's preloaded GCC runtime
# (tests/world) must stay out of them.
rm -f /etc/ld.so.preload

# what the source tree holds under fuzz/, to compare afterwards
tree_sum() { find fuzz -type f -print0 | sort -z | xargs -0 md5sum; }
before=$(tree_sum)

for n in "${names[@]}"; do
	log=$FB/short-$n.log
	if [ ! -x "$FB/fuzz_$n" ]; then
		# (make check builds them where clang is installed, and stops if that fails)
		skip "fuzz_$n: not built (make fuzz)"
		skip "fuzz_$n: scratch copy of the seeds"
		continue
	fi
	make -s --no-print-directory "fuzz-short-$n" FUZZ_SECONDS="$secs" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n1)
	seeds=$(ls fuzz/corpus/$n | wc -l)
	findings=$(ls "$FB" | grep -E "^short-$n-(crash|leak|timeout|oom)-")
	reports=$(grep -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|SUMMARY: ' "$log")
	if [ $rc -eq 0 ] && [ -n "$runs" ] && [ "$runs" -gt 0 ] && [ -z "$findings" ] && [ -z "$reports" ]; then
		ok "fuzz_$n: ${secs} s from $seeds seeds, $runs executions, ${cov:-cov: ?}: no crash, leak, timeout or sanitizer report"
	else
		not_ok "fuzz_$n: ${secs} s with no crash, leak, timeout or sanitizer report (exit $rc, ${runs:-no} executions${findings:+, findings: $findings})"
		grep -E -A 25 'ERROR:|runtime error:|==[0-9]+==' "$log" | head -n 40 | sed 's/^/#   /'
		[ -n "$findings" ] && diag "the failing inputs are kept in build/fuzz/short-$n-*"
	fi
done
is "$(tree_sum)" "$before" "fuzzing wrote nothing under fuzz/ (the seeds are read from a copy)"

done_testing
