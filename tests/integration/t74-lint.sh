#!/bin/bash
# make lint in make check: cppcheck and clang-tidy (.clang-tidy) on every source of the core,
# the module, the keeper and nsjailctl; any finding is a failure, shown here with its place.
. tests/lib.sh

for tool in cppcheck clang-tidy; do
	if ! command -v "$tool" >/dev/null; then
		skip "make lint-$tool: $tool is not installed (tools/deps installs it)"
		continue
	fi
	out=$(make --no-print-directory lint-$tool 2>&1)
	rc=$?
	if [ $rc -eq 0 ]; then
		ok "make lint-$tool: $(echo "$out" | tail -n 1)"
	else
		not_ok "make lint-$tool: findings (exit $rc)"
		echo "$out" | grep -E '(error|warning|style|performance|portability):' | head -n 30 | sed 's/^/#   /'
	fi
done
done_testing
