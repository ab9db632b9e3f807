# ul: YOLO training as a Unix pipeline. INSTALL explains the targets.
#
#   make                 libul and every tool (bin/ul-*)
#   make demo            the whole pipeline on a generated dataset (pipelines/demo.sh)
#   make check           every test that needs no GPU, through prove
#   make check SAN=1     the same, built with ASan and UBSan
#   make bench           benchmarks, printed as ratios to baselines
#   make check-gpu       the CUDA backend against the CPU's, on a GPU machine
#   make bench-gpu       the training step's speed there
#   make install         PREFIX=/usr/local, DESTDIR= for staging
#   make deps            install the Debian packages (make does it when needed)
#   make clean
#
# CUDA=0 skips the CUDA probe; CUDA=1 makes a failed probe an error.
# WERROR=1 (the default under CI) turns warnings into errors.
# ARCH=-march=native tunes for this CPU (the default); ARCH= builds portably.
# DATASETS= the real datasets the tests read: shared/datasets beside this
# checkout, or beside the checkout it was cloned from.

VERSION := 0.1.0
PREFIX  ?= /usr/local
DESTDIR ?=
SAN     ?= 0
CUDA    ?= auto
WERROR  ?= $(if $(CI),1,0)
DEPS    ?= 1
ARCH    ?= -march=native
ORIGIN  := $(shell git config --get remote.origin.url 2>/dev/null)
DATASETS ?= $(abspath $(firstword $(wildcard ../shared/datasets $(if $(ORIGIN),$(abspath $(ORIGIN))/../shared/datasets)) ../shared/datasets))

ifeq ($(SAN),1)
O      := build/san
BINDIR := build/san/bin
OPT    := -O1 -g -fsanitize=address,undefined,float-cast-overflow -fno-sanitize-recover=all -fno-omit-frame-pointer
else
O      := build
BINDIR := bin
# no trapping math: the engine never reads FP exceptions, and without it
# gcc will not turn the selects in its elementwise loops into vector code
OPT    := -O2 -g $(ARCH) -fno-trapping-math -fvect-cost-model=dynamic
endif

WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes $(if $(filter 1,$(WERROR)),-Werror)
CFLAGS   ?=
CPPFLAGS := -Ilib -Itests -I$(O) -D_GNU_SOURCE $(shell pkg-config --cflags openblas 2>/dev/null)
ALL_CFLAGS = -std=c11 $(OPT) $(WARN) -MMD -MP $(CFLAGS)
LDLIBS   := -ljq -lonig -lyaml -lcurl -larchive -ljpeg -lpng -lwebp -lsqlite3 $(shell pkg-config --libs openblas 2>/dev/null || echo -lopenblas) -lm -lpthread

LIB_SRC    := $(sort $(wildcard lib/*/*.c))
LIB_OBJ    := $(LIB_SRC:%.c=$(O)/%.o)
LIBUL      := $(O)/libul.a
TOOLS      := $(patsubst bin/%.c,$(BINDIR)/%,$(sort $(wildcard bin/*.c)))
UNIT       := $(patsubst %.c,$(O)/%,$(sort $(wildcard tests/unit/*.c)))
DRIVERS    := $(patsubst %.c,$(O)/%,$(sort $(wildcard tests/drivers/*.c)))
BENCHES    := $(patsubst %.c,$(O)/%,$(sort $(wildcard tests/bench/*.c)))
CLI_TESTS  := $(sort $(wildcard tests/cli/*.t))
MAN_PAGES  := $(sort $(wildcard share/man/man*/*.[1-9]))
GPU_TESTS  := $(patsubst %.c,$(O)/%,$(sort $(wildcard tests/gpu/*.c)))

.PHONY: all check check-gpu bench bench-gpu demo install uninstall clean deps FORCE
all: $(LIBUL) $(TOOLS)

# --- dependencies and the CUDA probe ---------------------------------------

DEPS_STAMP := build/.deps-ok
deps:
	sh mk/deps
$(DEPS_STAMP): mk/deps
	@mkdir -p $(@D)
	@if [ "$(DEPS)" != 0 ]; then sh mk/deps; fi
	@touch $@

NO_PROBE_GOALS := clean deps uninstall
ifneq ($(CUDA),0)
ifeq ($(filter $(NO_PROBE_GOALS),$(MAKECMDGOALS)),)
-include build/cuda.mk
endif
endif
build/cuda.mk: mk/cuda-probe
	@mkdir -p $(@D)
	@echo "CUDA probe:"
	@sh mk/cuda-probe >$@.tmp && mv $@.tmp $@

ifeq ($(CUDA),0)
FEATURES := CPU only: CUDA off (CUDA=0)
else ifeq ($(CUDA_FOUND),1)
FEATURES := CUDA $(CUDA_VERSION), cuDNN $(CUDNN_VERSION), cuBLAS $(CUBLAS_VERSION)
else
FEATURES := CPU only: no CUDA toolchain found
ifeq ($(CUDA),1)
$(error CUDA=1 but the probe found no working nvcc, cuDNN and cuBLAS; see INSTALL)
endif
endif

# Rewritten only when its content changes, so a rebuild stays small.
$(O)/ul_config.h: FORCE
	@mkdir -p $(@D)
	@printf '#define UL_VERSION "%s"\n#define UL_BUILD_FEATURES "%s"\n#define UL_HAVE_CUDA %d\n#define UL_DATADIR "%s"\n#define UL_CUDA_PLUGIN_BUILT "%s"\n' \
		'$(VERSION)' '$(FEATURES)' $(if $(CUDA_PLUGIN),1,0) '$(PREFIX)/share/ul' '$(CURDIR)/$(O)/ul-cuda.so' >$@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
$(O)/lib/core/version.o $(O)/lib/core/share.o $(O)/lib/nn/backend_open.o: $(O)/ul_config.h

# --- compiling ---------------------------------------------------------------

$(O)/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(LIBUL): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

# Each tool carries its man page as the text of --help and --manual.
$(O)/manual/%.c: share/man/man1/%.1 mk/manual-c
	@mkdir -p $(@D)
	sh mk/manual-c $< >$@.tmp && mv $@.tmp $@

# Programs export their symbols (-rdynamic): the CUDA plugin takes the
# engine's shape functions from the program that loads it.
$(TOOLS): $(BINDIR)/%: $(O)/bin/%.o $(O)/manual/%.o $(LIBUL)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -rdynamic -o $@ $^ $(LDLIBS) -ldl

$(UNIT) $(DRIVERS) $(BENCHES) $(GPU_TESTS): $(O)/%: $(O)/%.o $(LIBUL)
	$(CC) $(ALL_CFLAGS) -rdynamic -o $@ $^ $(LDLIBS) -ldl

-include $(LIB_OBJ:.o=.d) $(patsubst %,%.d,$(UNIT) $(DRIVERS) $(BENCHES) $(GPU_TESTS)) $(patsubst $(BINDIR)/%,$(O)/bin/%.d,$(TOOLS))

# --- the CUDA backend ----------------------------------------------------------

# ul-cuda.so, loaded at run time only when a GPU is asked for. Machine code
# for Ampere (sm_80) and Hopper (sm_90), and PTX that later GPUs compile.
ifeq ($(CUDA_FOUND)$(filter 0,$(CUDA)),1)
CUDA_SRC    := $(sort $(wildcard lib/cuda/*.cu))
CUDA_OBJ    := $(CUDA_SRC:%.cu=$(O)/%.o)
CUDA_PLUGIN := $(O)/ul-cuda.so
CUDA_ARCHS  := -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=[sm_90,compute_90]
NVCCFLAGS   := -std=c++17 -O2 -MMD -MP $(CUDA_ARCHS) -Xcompiler -fPIC,-Wall,-Wextra $(if $(filter 1,$(WERROR)),-Werror all-warnings)

$(O)/lib/cuda/%.o: lib/cuda/%.cu | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(NVCC) $(NVCCFLAGS) -Ilib -I$(O) -c -o $@ $<

$(CUDA_PLUGIN): $(CUDA_OBJ)
	$(NVCC) $(CUDA_ARCHS) -shared -o $@ $^ -Xlinker -rpath,$(CUDA_HOME)/lib64 -L$(CUDA_HOME)/lib64 -lcudnn -lcublas -lcudart
all: $(CUDA_PLUGIN)
-include $(CUDA_OBJ:.o=.d)
endif

# --- tests -------------------------------------------------------------------

# Unit tests are C programs and CLI tests shell scripts; both speak TAP.
check: all $(UNIT) $(DRIVERS) $(BENCHES) $(GPU_TESTS)
	UL_ROOT=$(CURDIR) UL_DATASETS=$(DATASETS) UL_BIN=$(abspath $(BINDIR)) UL_DRIVERS=$(abspath $(O)/tests/drivers) UL_SAN=$(SAN) \
	UL_SHARE=$(CURDIR)/share/ul \
		prove --exec '' -j2 $(UNIT) $(CLI_TESTS)

# On a GPU machine: each CUDA op and the training step against the CPU's,
# as a pass/fail table; then the step under compute-sanitizer's memcheck.
check-gpu: all $(GPU_TESTS)
	tests/gpu/run $(GPU_TESTS)
	@sanitizer=$$(command -v compute-sanitizer || echo $(CUDA_HOME)/bin/compute-sanitizer); \
	if [ -x "$$sanitizer" ]; then "$$sanitizer" --tool memcheck --error-exitcode 1 $(O)/tests/gpu/test_step; \
	else echo "check-gpu: no compute-sanitizer here, so no memcheck run"; exit 1; fi

# On a GPU machine: the training step of yolo26n at 640, batch 16 and 64.
bench-gpu: all $(BENCHES)
	UL_DEVICE=0 $(O)/tests/bench/train_step 640 16 5 SGD,AdamW
	UL_DEVICE=0 $(O)/tests/bench/train_step 640 64 5 SGD

# Speed lives here, never in timed tests: ratios against baselines of the same run.
# PEER= the folder holding Ultralytics' source times it beside the engine
# (with PEER_PYTHON, a python3 that imports torch).
PEER        ?=
PEER_PYTHON ?= python3
bench: all $(DRIVERS) $(BENCHES)
	tests/bench/passthrough $(O)/tests/drivers/ul-echo
	tests/bench/scan $(BINDIR)/ul-fetch $(DATASETS)
	UL_PEER=$(PEER) UL_PEER_PYTHON=$(PEER_PYTHON) $(O)/tests/bench/engine
	$(O)/tests/bench/train_step
	UL_PEER=$(PEER) UL_PEER_PYTHON=$(PEER_PYTHON) $(O)/tests/bench/loader $(DATASETS)/coco128
	$(O)/tests/bench/val $(DATASETS)/coco128
	tests/bench/calibration $(abspath $(BINDIR)) $(DATASETS)
	tests/bench/push $(BINDIR)/ul-push
	UL_SHARE=$(CURDIR)/share/ul tests/bench/learn $(abspath $(BINDIR)) $(abspath $(O)/tests/drivers) $(DATASETS)

# --- the demo ----------------------------------------------------------------

demo: all
	sh pipelines/demo.sh

# --- installing --------------------------------------------------------------

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/ul
	$(if $(TOOLS),install -m 755 $(TOOLS) $(DESTDIR)$(PREFIX)/bin/)
	$(if $(CUDA_PLUGIN),install -D -m 755 $(CUDA_PLUGIN) $(DESTDIR)$(PREFIX)/lib/ul/ul-cuda.so)
	if [ -d share/ul ]; then cp -R share/ul/. $(DESTDIR)$(PREFIX)/share/ul/; fi
	for page in $(MAN_PAGES); do \
		section=$${page##*.}; \
		install -d $(DESTDIR)$(PREFIX)/share/man/man$$section && \
		install -m 644 $$page $(DESTDIR)$(PREFIX)/share/man/man$$section/ || exit 1; \
	done

uninstall:
	rm -f $(patsubst $(BINDIR)/%,$(DESTDIR)$(PREFIX)/bin/%,$(TOOLS))
	rm -f $(patsubst share/man/%,$(DESTDIR)$(PREFIX)/share/man/%,$(MAN_PAGES))
	rm -rf $(DESTDIR)$(PREFIX)/share/ul $(DESTDIR)$(PREFIX)/lib/ul

clean:
	rm -rf build $(patsubst bin/%.c,bin/%,$(wildcard bin/*.c))
