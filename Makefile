# warpflow: the two commands a new user runs are `make demo` and `make test`.
SHELL := /bin/bash
SWIFT ?= swift
FFMPEG_PKGS := libavcodec-dev libavformat-dev libswscale-dev libavutil-dev pkg-config ffmpeg
SUDO := $(shell if [ "$$(id -u)" != 0 ] && command -v sudo >/dev/null; then echo sudo; fi)
DEMO_IN := Samples/clips/object.mp4
DEMO_OUT := Samples/out/demo-60fps.mp4

.PHONY: deps build demo test test-python sanitize valgrind bench samples clean

## deps: install FFmpeg's libraries, pkg-config and the ffmpeg CLI when missing (Debian/Ubuntu).
deps:
	@if ! pkg-config --exists libavcodec libavformat libswscale libavutil 2>/dev/null || ! command -v ffmpeg >/dev/null; then \
	  if ! command -v apt-get >/dev/null; then \
	    echo "FFmpeg's libraries, pkg-config or the ffmpeg CLI are missing; install them (macOS: brew install ffmpeg pkg-config)"; exit 1; \
	  fi; \
	  echo "installing $(FFMPEG_PKGS)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $(SUDO) apt-get install -y -q $(FFMPEG_PKGS) >/dev/null 2>&1 || \
	  { $(SUDO) apt-get update -q >/dev/null && $(SUDO) apt-get install -y -q $(FFMPEG_PKGS) >/dev/null; }; \
	fi
	@pkg-config --modversion libavcodec >/dev/null || { echo "FFmpeg development packages are missing"; exit 1; }

build: deps
	$(SWIFT) build -c release

## demo: build in release and double the frame rate of a bundled clip by warping neural ODEs.
demo: build
	@mkdir -p Samples/out
	$$($(SWIFT) build -c release --show-bin-path)/warpflow fps $(DEMO_IN) -o $(DEMO_OUT) --fps 60000/1001
	@echo "demo output: $(DEMO_OUT)"
	@$$($(SWIFT) build -c release --show-bin-path)/warpflow probe $(DEMO_OUT)

## test: unit and integration tests, then the third-party filter sample package.
test: deps
	$(SWIFT) test
# SwiftPM may keep a stale build plan for a path dependency after files are added to it
# (seen here; cf. swiftlang/swift-package-manager#7715); dropping the plan makes it re-scan.
	rm -f Samples/CustomFilter/.build/*/debug/description.json
	cd Samples/CustomFilter && $(SWIFT) build --scratch-path .build && \
	  $(SWIFT) run --scratch-path .build custom-filter ../clips/object.mp4 ../out/custom-invert.mp4
	$(MAKE) test-python
	$(MAKE) test-damage

## test-damage: a small dataset built by the debug binary, damaged in 100 ways (shards, reports,
## outputs in the way); merge must refuse each with the file's name and write nothing, a resumed
## build must rebuild damaged shards byte-identically (Tests/Damage/damage_corpus.py).
.PHONY: test-damage
test-damage:
	python3 Tests/Damage/damage_corpus.py "$$($(SWIFT) build --show-bin-path)/warpflow"

## test-python: builds a dataset from the sample clips and checks it from Python: the PyTorch
## loader, the normalisation, spectra = np.fft.fft of the exported trajectories, the viewer
## (a venv in .venv-python with torch 2.13 CPU when pip can install it, else safetensors.numpy).
test-python:
	WARPFLOW_DATASET_ARGS="--size 128x80 --k 8 --flow-preset fast --max-camera-motion 1000" Tests/Python/run.sh

## sanitize: the tests under AddressSanitizer (leaks inside third-party libraries suppressed); the
## automatic loop planner's CLI tests (dozens of trial renders each) are left to `make test`.
sanitize: deps
	WARPFLOW_SKIP_SLOW_CLI=1 LSAN_OPTIONS=suppressions=$(CURDIR)/.ci/lsan.supp:print_suppressions=0 $(SWIFT) test --sanitize=address --scratch-path .build-asan

## valgrind: memcheck over decode → filters → encode and the flow estimator (0 definitely lost).
valgrind: deps
	@command -v valgrind >/dev/null || { export DEBIAN_FRONTEND=noninteractive; $(SUDO) apt-get install -y -q valgrind >/dev/null 2>&1 || { $(SUDO) apt-get update -q >/dev/null && $(SUDO) apt-get install -y -q valgrind >/dev/null; }; }
	Tests/Valgrind/run.sh

## bench: benchmarks against ffmpeg and OpenCV, side by side (release builds).
bench: deps
	Tests/Benchmarks/run-all.sh

## fuzz: libFuzzer targets (chain, rational, flo, reader, safetensors, clipreport, merge, spectrum, jobargs; Tests/Fuzz/README.md), FUZZ_SECONDS
## each (default 300), built with -sanitize=fuzzer,address into .build-fuzz; fails on any crash.
FUZZ_SECONDS ?= 300
.PHONY: fuzz
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) SWIFT=$(SWIFT) Tests/Fuzz/run.sh

## cluster-test: a real single-node Slurm cluster (installed with apt when missing) builds a dataset
## with Samples/cluster/build-dataset.sbatch as an array job, merges it, and must match an
## unsharded build byte for byte (Tests/Cluster/run.sh; WARPFLOW_BIN skips the release build).
.PHONY: cluster-test
cluster-test: deps
	SWIFT=$(SWIFT) Tests/Cluster/run.sh

samples:
	Samples/make-samples.sh

clean:
	rm -rf .build .build-asan .build-bench-data Samples/out Samples/CustomFilter/.build
