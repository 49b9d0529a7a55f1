# bench/bench.mk — `make bench`: login latency and scale figures, in a throwaway world
# (tests/world). Not part of `make check`. Included by the top Makefile.
BENCH_BIN := $(B)/bench/pam-bench $(B)/bench/floor $(B)/bench/cg-shim.so

$(B)/bench:
	mkdir -p $@

$(B)/bench/pam-bench: bench/pam-bench.c | $(B)/bench
	$(CC) $(ALL_CFLAGS) -pie -o $@ $< $(ALL_LDFLAGS) -lpam

$(B)/bench/floor: bench/floor.c | $(B)/bench
	$(CC) $(ALL_CFLAGS) -pie -o $@ $< $(ALL_LDFLAGS)

# Preloaded under callgrind only (see the file): valgrind 3.19 lacks the pidfd syscalls.
$(B)/bench/cg-shim.so: bench/cg-shim.c | $(B)/bench
	$(CC) $(ALL_CFLAGS) -shared -o $@ $< $(ALL_LDFLAGS) -ldl

# BENCH_N=10000 adds the 10,000-set step; BENCH_ROUNDS sets the samples per latency figure.
# BENCH_NET=0 skips bench/net.sh (network = outbound: first login, memory, throughput).
bench: all $(HARNESS) $(BENCH_BIN)
	KEEPER_PATH=$(KEEPER_PATH) tests/world bash bench/run.sh
	[ "$${BENCH_NET:-1}" = 0 ] || KEEPER_PATH=$(KEEPER_PATH) tests/world bash bench/net.sh
