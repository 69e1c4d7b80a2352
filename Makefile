# Thin wrapper over meson/ninja and the test and demo scripts. Every target installs what it needs.
BUILD ?= build
MESON_OPTS ?=

.PHONY: all deps build test unit integration demo bench compare clean

all: build

deps:
	bash scripts/deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_OPTS)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

unit: build
	bash tests/run.sh --unit-only $(BUILD)

integration: build
	MESHGATE=$(BUILD)/app/meshgate/meshgate bash tests/integration/run_all.sh

test: build
	bash tests/run.sh $(BUILD)

demo: build
	MESHGATE=$(BUILD)/app/meshgate/meshgate bash scripts/demo.sh

# meshgate side by side with a Linux exit (wireguard-go + nftables), iperf3 through both; writes
# perf/results/compare.{txt,json}. Needs root; COMPARE_ROUNDS / COMPARE_SECONDS shorten it.
compare: build
	MESHGATE=$(BUILD)/app/meshgate/meshgate bash perf/compare/compare.sh

# Data-plane benchmark (perf/bench): its own build with per-stage cycle counters compiled in;
# prints the tables and writes perf/results/last.{txt,json} (reference.* is the committed run).
# On 2 MiB hugepages when the machine can give them (root), else on 4 KiB pages; MG_BENCH_HUGE=0
# forces the latter.
BENCH_BUILD ?= build-bench
bench: deps
	test -f $(BENCH_BUILD)/build.ninja || meson setup $(BENCH_BUILD) -Dstage_cycles=true $(MESON_OPTS)
	meson configure $(BENCH_BUILD) -Dstage_cycles=true
	ninja -C $(BENCH_BUILD) perf/mg_bench
	bash perf/bench/run_bench.sh $(BENCH_BUILD)/perf/mg_bench perf/results

clean:
	rm -rf $(BUILD)
