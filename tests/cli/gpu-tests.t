#!/bin/sh
# The GPU tests (tests/gpu, make check-gpu) are programs of their own; on a
# machine without a GPU they still run here, with the stand-in device of
# tests/guarded_backend.h in the GPU's place (UL_GPU=guarded): its kernels
# are the CPU's, so every comparison must pass, and its memory faults on
# any host access, so each copy the tests make and each op they call is
# checked before a GPU ever runs them.
. "$(dirname "$0")/lib.sh"

GPU_TESTS=$UL_DRIVERS/../gpu
cd "$UL_ROOT" || exit 1
for test in "$GPU_TESTS"/test_*; do
	case $test in *.o | *.d) continue ;; esac
	name=$(basename "$test")
	UL_GPU=guarded "$test" >"$tmp/$name.out" 2>&1
	is "$?" 0 "$name runs to the end on the stand-in device"
	is "$(grep -c '^not ok' "$tmp/$name.out")" 0 "$name: every comparison passes"
	ok "$name: and it compares something" grep -q '^ok .*(tolerance ' "$tmp/$name.out"
done
UL_GPU=guarded "$UL_ROOT/tests/gpu/run" "$GPU_TESTS"/test_ops >"$tmp/table" 2>&1
is "$?" 0 "tests/gpu/run passes the table"
like "$(head -1 "$tmp/table")" "^check +error +tolerance +result" "under a header"
like "$(cat "$tmp/table")" "test_ops: batchnorm" "with a row per check"
done_testing
