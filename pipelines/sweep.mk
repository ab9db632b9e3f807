# A hyperparameter sweep: one run per point of the grid, `make -j` runs
# them side by side, and results.tsv gathers every run's best epoch.
#
#   make -f pipelines/sweep.mk DATA=coco8.yaml LR0="0.001 0.01" IMGSZ="160 320" EPOCHS=10 -j2
#
# Each run writes sweep/lr0-L_imgsz-S.jsonl; results.tsv has one row per run:
# lr0, imgsz, best epoch, its mAP50 and mAP50-95.

DATA   ?= shapes
LR0    ?= 0.001 0.01
IMGSZ  ?= 160 320
EPOCHS ?= 10
ARGS   ?=
OUT    ?= sweep
UL_BIN ?= $(dir $(lastword $(MAKEFILE_LIST)))../bin

# a run's row: its point of the grid (from the file's name) and its results,
# the best checkpoint's (the final record)
BEST := ([.[] | select(.type=="final")] | last) as $$b \
	| ($$f | capture("lr0-(?<l>[^_]+)_imgsz-(?<s>[0-9]+)")) as $$p \
	| [$$p.l, $$p.s, $$b.epoch, $$b.metrics.mAP50, $$b.metrics.mAP50_95] | @tsv

RUNS := $(foreach l,$(LR0),$(foreach s,$(IMGSZ),$(OUT)/lr0-$(l)_imgsz-$(s).jsonl))

$(OUT)/results.tsv: $(RUNS)
	@printf 'lr0\timgsz\tbest_epoch\tmAP50\tmAP50_95\n' >$@.tmp
	@for f in $(RUNS); do \
		jq -rs --arg f "$$f" '$(BEST)' "$$f" >>$@.tmp || exit 1; \
	done
	@mv $@.tmp $@
	@cat $@

$(OUT)/lr0-%.jsonl:
	@mkdir -p $(OUT)
	$(UL_BIN)/ul-fetch data=$(DATA) </dev/null \
	  | $(UL_BIN)/ul-validate lr0=$(word 1,$(subst _imgsz-, ,$*)) imgsz=$(word 2,$(subst _imgsz-, ,$*)) epochs=$(EPOCHS) \
	      project=$(abspath $(OUT))/runs name=lr0-$* exist_ok=true $(ARGS) \
	  | $(UL_BIN)/ul-train >$@.tmp 2>$(OUT)/lr0-$*.log
	@mv $@.tmp $@

.PHONY: clean
clean:
	rm -rf $(OUT)
