# fuzz/fuzz.mk — fuzzing (libFuzzer) and lint; included by the top Makefile.
#
#   make fuzz          build the libFuzzer targets into build/fuzz/
#   make fuzz-short    run each target FUZZ_SECONDS (default 5) on a scratch copy of its corpus;
#                      fails on any crash, leak, sanitizer report or broken invariant
#   make fuzz-short-NAME   the same for one target (config, template): what make check runs,
#                      through tests/integration/t72-fuzz.sh
#   make fuzz-long     the same for FUZZ_LONG_SECONDS (default 300) per target, both at once
#   make lint          cppcheck and clang-tidy on pam_nsjail/*.c and pam_nsjail/ctl/*.c; fails on
#                      any finding
#
# The targets link the core sources directly (not libnsj.a): they are compiled again with
# -fsanitize=fuzzer-no-link,address,undefined so that the parser is instrumented too.
# libconfuse itself is the system's (not instrumented; ASan still sees its allocations).

FUZZ_CC      ?= clang
FUZZ_B       := $(B)/fuzz
FUZZ_SECONDS ?= 5
FUZZ_LONG_SECONDS ?= 300
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS  := -std=gnu11 -g -O1 $(FUZZ_SAN) $(DEFS) -Ipam_nsjail -Wall -Wextra -Wno-unused-parameter
FUZZ_CORE    := err ns util template config config_parse config_dl policy
FUZZ_OBJ     := $(FUZZ_CORE:%=$(FUZZ_B)/%.o)
FUZZ_TARGETS := $(FUZZ_B)/fuzz_config $(FUZZ_B)/fuzz_template
# A run stops at the first finding and leaves it in build/fuzz/crash-*; -timeout catches hangs.
FUZZ_RUN_OPTS := -timeout=10 -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1

.PHONY: fuzz fuzz-short fuzz-long lint lint-cppcheck lint-clang-tidy hostile

fuzz: $(FUZZ_TARGETS)
.SECONDARY: $(FUZZ_OBJ) $(FUZZ_TARGETS:%=%.o)

$(FUZZ_B):
	mkdir -p $@

$(FUZZ_B)/%.o: pam_nsjail/%.c $(HDRS) | $(FUZZ_B)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_B)/fuzz_%.o: fuzz/fuzz_%.c pam_nsjail/nsj.h | $(FUZZ_B)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_B)/fuzz_%: $(FUZZ_B)/fuzz_%.o $(FUZZ_OBJ)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ -lconfuse


# A short run starts afresh from a copy of the seeds in build/fuzz/short-NAME/ (nothing is
# written under fuzz/); a finding is left in build/fuzz/short-NAME-crash-* (or leak-, timeout-,
# oom-).
fuzz-short: fuzz-short-config fuzz-short-template
fuzz-short-%: $(FUZZ_B)/fuzz_%
	rm -rf $(FUZZ_B)/short-$* $(FUZZ_B)/short-$*-*
	mkdir -p $(FUZZ_B)/short-$*
	cp fuzz/corpus/$*/* $(FUZZ_B)/short-$*/
	$(FUZZ_B)/fuzz_$* $(FUZZ_RUN_OPTS) -max_total_time=$(FUZZ_SECONDS) \
	  -artifact_prefix=$(FUZZ_B)/short-$*- $(FUZZ_B)/short-$*

# make check runs the short runs (t72-fuzz.sh): build the targets first where clang is there
# (t72 says why it skips where it is not).
ifneq ($(shell command -v $(FUZZ_CC) 2>/dev/null),)
check: fuzz
endif

# A long campaign: both targets at once (one per core), FUZZ_LONG_SECONDS each; new inputs go to
# build/fuzz/work-NAME (kept between campaigns), the committed seeds are only read; a finding is
# left in build/fuzz/crash-NAME-*; each target's log in build/fuzz/long-NAME.log.
fuzz-long: fuzz
	$(MAKE) --no-print-directory -j2 fuzz-long-config fuzz-long-template
fuzz-long-%: $(FUZZ_B)/fuzz_%
	mkdir -p $(FUZZ_B)/work-$*
	$(FUZZ_B)/fuzz_$* $(FUZZ_RUN_OPTS) -max_total_time=$(FUZZ_LONG_SECONDS) \
	  -artifact_prefix=$(FUZZ_B)/crash-$*- $(FUZZ_B)/work-$* fuzz/corpus/$* \
	  >$(FUZZ_B)/long-$*.log 2>&1; rc=$$?; tail -n 12 $(FUZZ_B)/long-$*.log; exit $$rc

# ---- hostile helpers for tests/integration/t70-hostile.sh (it also builds them itself) ----
HOSTILE := $(B)/tests/hostile-swap $(B)/tests/hostile-evil-preload.so
hostile: $(HOSTILE)
$(B)/tests/hostile-swap: tests/hostile/swap.c | $(B)/tests
	$(CC) -O2 -Wall -o $@ $<
$(B)/tests/hostile-evil-preload.so: tests/hostile/evil-preload.c | $(B)/tests
	$(CC) -O2 -Wall -shared -fPIC -o $@ $<

# ---- lint ---------------------------------------------------------------------------------
LINT_SRC   := $(wildcard pam_nsjail/*.c pam_nsjail/ctl/*.c)
LINT_DEFS  := -DNSJ_VERSION='"$(VERSION)"' -DNSJ_KEEPER_PATH='"$(KEEPER_PATH)"' \
              -DNSJ_CONFIG_PATH='"/etc/security/pam_nsjail.conf"'
CPPCHECK   ?= cppcheck
CLANG_TIDY ?= clang-tidy

lint: lint-cppcheck lint-clang-tidy

# Findings are errors. Left out: missingIncludeSystem (system headers are not checked),
# variableScope (declarations at the top of a function are the house style) and the
# "n = 0" of hosts_text() in setup.c (read when the loop does not run; cppcheck thinks it never
# is).
lint-cppcheck:
	$(CPPCHECK) --quiet --error-exitcode=1 --std=c11 --enable=warning,style,performance,portability \
	  --inline-suppr --suppress=missingIncludeSystem --suppress=variableScope \
	  --suppress=unreadVariable:pam_nsjail/setup.c \
	  -Ipam_nsjail $(LINT_DEFS) $(LINT_SRC) && echo "cppcheck: clean ($(words $(LINT_SRC)) files)"

# Checks are chosen in .clang-tidy; every warning there is an error. One process per file:
# clang-tidy 14 given several files carries analyzer state from one to the next (seen: a
# valist.Uninitialized report on err.c that only appears after config.c).
lint-clang-tidy:
	@rc=0; for f in $(LINT_SRC); do \
	  $(CLANG_TIDY) --quiet --warnings-as-errors='*' $$f -- -std=gnu11 -Ipam_nsjail $(LINT_DEFS) \
	    2>/dev/null || rc=1; \
	done; [ $$rc -eq 0 ] && echo "clang-tidy: clean ($(words $(LINT_SRC)) files)"; exit $$rc
