#!/bin/sh
# The build's own promises: the CUDA probe reports what it finds by really
# compiling, --version says what the build has, and `make install` honours
# PREFIX and DESTDIR and installs the man pages so `man` finds them.
. "$(dirname "$0")/lib.sh"

# A sub-make must not inherit this run's SAN=1 or its jobserver.
submake()
{
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$UL_ROOT" "$@"
}

# No nvcc: the probe says so and the build goes CPU only.
NVCC=/nonexistent/nvcc sh "$UL_ROOT/mk/cuda-probe" >"$tmp/probe.mk" 2>"$tmp/probe.err"
is "$?" 0 "a probe that finds nothing still succeeds"
like "$(cat "$tmp/probe.err")" "✗ nvcc" "it prints ✗ nvcc"
is "$(cat "$tmp/probe.mk")" "CUDA_FOUND := 0" "and sets CUDA_FOUND := 0, nothing else"

# An nvcc that exists but cannot compile is not found either.
printf '#!/bin/sh\nexit 1\n' >"$tmp/nvcc"
chmod +x "$tmp/nvcc"
NVCC=$tmp/nvcc sh "$UL_ROOT/mk/cuda-probe" >"$tmp/probe.mk" 2>"$tmp/probe.err"
like "$(cat "$tmp/probe.err")" "✗ nvcc: not found or cannot compile" "an nvcc that cannot compile is ✗"
is "$(cat "$tmp/probe.mk")" "CUDA_FOUND := 0" "and the build goes CPU only"

# --version says what the build was made with, as the probe found it.
run "$UL_ECHO" --version
is "$rc" 0 "--version exits 0"
if grep -q '^CUDA_FOUND := 1' "$UL_ROOT/build/cuda.mk" 2>/dev/null; then
	like "$(out)" "^ul-echo [0-9.]+ \(CUDA [0-9.]+, cuDNN [0-9.]+, cuBLAS [0-9.]+\)$" "--version names the CUDA libraries found"
else
	like "$(out)" "^ul-echo [0-9.]+ \(CPU only: .*\)$" "--version says CPU only"
fi

# install and uninstall into a staging directory, with the PREFIX this
# tree was built for: another would rewrite ul_config.h and relink every
# tool under the tests running beside this one
stage=$tmp/stage
submake install PREFIX=/usr/local DESTDIR="$stage" >"$tmp/install.log" 2>&1
is "$?" 0 "make install PREFIX=/usr/local DESTDIR=... succeeds"
for page in ul.7 ul-records.7; do
	ok "$page is installed under DESTDIR/PREFIX" test -f "$stage/usr/local/share/man/man7/$page"
done
ok "share/ul exists under DESTDIR/PREFIX" test -d "$stage/usr/local/share/ul"
ok "nothing lands outside DESTDIR/PREFIX" sh -c "[ \"\$(ls '$stage')\" = usr ]"
MANPATH=$stage/usr/local/share/man man -w ul-records >"$tmp/where" 2>&1
is "$(cat "$tmp/where")" "$stage/usr/local/share/man/man7/ul-records.7" "man finds the installed ul-records(7)"
for tool in "$UL_ROOT"/bin/*.c; do
	[ -e "$tool" ] || continue
	name=$(basename "$tool" .c)
	ok "$name is installed and runs" sh -c "'$stage/usr/local/bin/$name' --version >/dev/null"
done

if grep -q '^CUDA_FOUND := 1' "$UL_ROOT/build/cuda.mk" 2>/dev/null; then
	ok "the CUDA plugin is installed under PREFIX/lib/ul" test -x "$stage/usr/local/lib/ul/ul-cuda.so"
	env -u UL_CUDA_PLUGIN "$stage/usr/local/bin/ul-train" model=yolo26n.yaml data=coco8 device=0 </dev/null >"$tmp/gpu.out" 2>&1
	unlike "$(cat "$tmp/gpu.out")" "does not load" "the installed ul-train loads the installed plugin"
fi
ok "params.yaml is installed" test -f "$stage/usr/local/share/ul/params.yaml"
env -u UL_SHARE "$stage/usr/local/bin/ul-validate" --schema </dev/null >"$tmp/schema" 2>&1
is "$(jq -r .type "$tmp/schema")" schema "the installed ul-validate finds its data beside itself"
UL_SHARE=$tmp/nowhere "$stage/usr/local/bin/ul-validate" --schema </dev/null >"$tmp/schema" 2>"$tmp/schema.err"
like "$(cat "$tmp/schema.err")" "params.yaml not found in UL_SHARE=" "a wrong UL_SHARE says where it looked"

submake uninstall PREFIX=/usr/local DESTDIR="$stage" >"$tmp/uninstall.log" 2>&1
is "$?" 0 "make uninstall succeeds"
is "$(find "$stage" -type f | wc -l | tr -d ' ')" 0 "and leaves no files behind"

done_testing
