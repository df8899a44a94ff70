#!/usr/bin/env bats
# Shared libraries: each DT_NEEDED name of a dynamically linked program
# looked for as the image's own loader would (glibc: run paths,
# LD_LIBRARY_PATH, /etc/ld.so.cache, default directories; musl: its path
# file or defaults), and every library found judged like the program.

load ../lib/registry
load common

setup_file() {
	registry_start fx plain
	export REG=$REG_FX_ADDR
	local top
	top=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	python3 "$top/tests/lib/push-fixtures.py" "$REG" --insecure \
		--only 'fx/libs-*' >"$BATS_FILE_TMPDIR/push.out" \
		2>"$BATS_FILE_TMPDIR/push.err" || {
		cat "$BATS_FILE_TMPDIR/push.err" >&2
		echo "setup_file: pushing the fx fixtures failed" >&2
		return 1
	}
}

teardown_file() {
	registry_stop_all
}

A=linux/amd64

@test "libs-cache: a library listed by ld.so.cache is found: PASS" {
	local r
	r=$(fx libs-cache:1)
	check_json 0 --platform $A "$r"
	expect_verdict "$r" $A PASS
	expect_findings "$r" $A
	expect_finding "$r" $A info:libraries-found \
		"1 shared library found: libfoo.so.1 \\(/usr/lib/x86_64-linux-gnu/libfoo.so.1\\)"
}

@test "libs-conf: only ld.so.conf.d names the directory, no cache: WARN" {
	local r
	r=$(fx libs-conf:1)
	check_json 0 --platform $A "$r"
	expect_verdict "$r" $A WARN
	expect_findings "$r" $A warn:library-uncertain
	expect_finding "$r" $A warn:library-uncertain \
		"needs 'libfoo.so.1', found only in '/usr/lib/x86_64-linux-gnu/libfoo.so.1'; the loader finds it there only through /etc/ld.so.cache, and the image's cache is missing"
	pf check --strict -o json --insecure-registry "$REG" --platform $A "$r"
	expect_status 1
}

@test "libs-missing: no such library anywhere: FAIL with the loader's words" {
	local r
	r=$(fx libs-missing:1)
	check_json 1 --platform $A "$r"
	expect_findings "$r" $A fail:library-not-found
	expect_finding "$r" $A fail:library-not-found \
		"entrypoint '/app' needs 'libfoo.so.1', which is in none of the places its loader searches \\(/lib64, /usr/lib64\\).*error while loading shared libraries: libfoo.so.1: cannot open shared object file: No such file or directory"
}

@test "libs-missing: the text report names the missing library" {
	pf check --insecure-registry "$REG" --platform $A "$(fx libs-missing:1)"
	expect_status 1
	expect_grep "verdict" "FAIL" "$PF_OUT"
	expect_grep "finding" "library-not-found" "$PF_OUT"
	expect_grep "message" "cannot open shared object file" "$PF_OUT"
}

@test "libs-wrong-arch: only an AArch64 libfoo.so.1: FAIL naming it" {
	local r
	r=$(fx libs-wrong-arch:1)
	check_json 1 --platform $A "$r"
	expect_findings "$r" $A fail:library-wrong-architecture
	expect_finding "$r" $A fail:library-wrong-architecture \
		"needs 'libfoo.so.1'; the only one found, '/usr/lib64/libfoo.so.1', is ELF64 little-endian AArch64 \\(machine 183\\), not ELF64 little-endian x86-64"
}

@test "libs-origin: DT_RUNPATH \$ORIGIN/../lib is expanded: PASS" {
	local r
	r=$(fx libs-origin:1)
	check_json 0 --platform $A "$r"
	expect_verdict "$r" $A PASS
	expect_finding "$r" $A info:libraries-found \
		"libfoo.so.1 \\(/opt/app/bin/../lib/libfoo.so.1\\)"
}

@test "libs-musl-path: /etc/ld-musl-x86_64.path lists the directory: PASS" {
	local r
	r=$(fx libs-musl-path:1)
	check_json 0 --platform $A "$r"
	expect_verdict "$r" $A PASS
	expect_findings "$r" $A
	expect_finding "$r" $A info:libraries-found \
		"1 shared library found: libfoo.so.1 \\(/opt/lib/libfoo.so.1\\)"
}

@test "libs-musl-nopath: without the path file musl searches its defaults: FAIL" {
	local r
	r=$(fx libs-musl-nopath:1)
	check_json 1 --platform $A "$r"
	expect_findings "$r" $A fail:library-not-found
	expect_finding "$r" $A fail:library-not-found \
		"needs 'libfoo.so.1', which is in none of the places its loader searches \\(/lib, /usr/local/lib, /usr/lib\\)"
}

@test "libs-nested-missing: a library's own DT_NEEDED is missing: FAIL" {
	local r
	r=$(fx libs-nested-missing:1)
	check_json 1 --platform $A "$r"
	expect_findings "$r" $A fail:library-not-found
	expect_finding "$r" $A fail:library-not-found \
		"library 'libfoo.so.1' \\('/usr/lib64/libfoo.so.1'\\) needs 'libbar.so.2'.*libbar.so.2: cannot open shared object file"
}

@test "libs-misaligned: a 4 KiB-aligned library on a 64 KiB-page kernel: FAIL" {
	local r
	r=$(fx libs-misaligned:1)
	check_json 1 --platform linux/arm64 --page-size 65536 "$r"
	expect_findings "$r" linux/arm64 fail:page-size-misaligned
	expect_finding "$r" linux/arm64 fail:page-size-misaligned \
		"library 'libfoo.so.1' \\('/usr/lib64/libfoo.so.1'\\) has PT_LOAD segments aligned to 0x1000 bytes; this kernel's pages are 65536"
	check_json 0 --platform linux/arm64 --page-size 4096 "$r"
	expect_verdict "$r" linux/arm64 PASS
}

@test "libs-broken: a truncated library and one whose dynamic section is cut: FAIL" {
	local r
	r=$(fx libs-broken:1)
	check_json 1 --platform $A "$r"
	expect_findings "$r" $A fail:library-malformed
	expect_finding "$r" $A fail:library-malformed \
		"needs 'libfoo.so.1'; the loader opens '/usr/lib64/libfoo.so.1' and stops: truncated ELF header"
	expect_finding "$r" $A fail:library-malformed \
		"library 'libbaz.so.1' \\('/usr/lib64/libbaz.so.1'\\), needed by entrypoint '/app', is a broken ELF file \\(dynamic section past end of file"
}

@test "libs-env: LD_LIBRARY_PATH from the config's Env is searched: PASS" {
	local r
	r=$(fx libs-env:1)
	check_json 0 --platform $A "$r"
	expect_verdict "$r" $A PASS
	expect_finding "$r" $A info:libraries-found \
		"libfoo.so.1 \\(/opt/env/libfoo.so.1\\)"
}

@test "libs-runpath-hides-rpath: DT_RPATH is ignored next to DT_RUNPATH: FAIL" {
	local r
	r=$(fx libs-runpath-hides-rpath:1)
	check_json 1 --platform $A "$r"
	expect_findings "$r" $A fail:library-not-found
	expect_finding "$r" $A fail:library-not-found \
		"needs 'libfoo.so.1', which is in none of the places its loader searches \\(/opt/run, /lib64, /usr/lib64\\)"
}

@test "libs-lib-token: found only through \$LIB in DT_RUNPATH: WARN" {
	local r
	r=$(fx libs-lib-token:1)
	check_json 0 --platform $A "$r"
	expect_verdict "$r" $A WARN
	expect_findings "$r" $A warn:library-uncertain
	expect_finding "$r" $A warn:library-uncertain \
		"found only in '/opt/app/lib64/libfoo.so.1'; its search path '/opt/app/\\\$LIB' uses \\\$LIB or \\\$PLATFORM"
}

@test "libs-dir-first: a directory where the library is looked for stops the loader: FAIL" {
	local r
	r=$(fx libs-dir-first:1)
	check_json 1 --platform $A "$r"
	expect_findings "$r" $A fail:library-malformed
	expect_finding "$r" $A fail:library-malformed \
		"the loader opens '/lib64/libfoo.so.1' and stops: it is a directory"
}

@test "libs-loop-first: a symbolic link loop where the library is looked for: FAIL" {
	local r
	r=$(fx libs-loop-first:1)
	check_json 1 --platform $A "$r"
	expect_findings "$r" $A fail:library-malformed
	expect_finding "$r" $A fail:library-malformed \
		"'/lib64/libfoo.so.1' and stops: too many levels of symbolic links"
}

@test "libs-musl-empty: musl skips an empty LD_LIBRARY_PATH element: FAIL" {
	local r
	r=$(fx libs-musl-empty:1)
	check_json 1 --platform $A "$r"
	expect_findings "$r" $A fail:library-not-found
}

@test "libs-needed-origin: \$ORIGIN in a DT_NEEDED path is expanded: PASS" {
	local r
	r=$(fx libs-needed-origin:1)
	check_json 0 --platform $A "$r"
	expect_verdict "$r" $A PASS
}

@test "libs-needed-token: \$LIB in a DT_NEEDED path is not known: UNKNOWN" {
	local r
	r=$(fx libs-needed-token:1)
	check_json 2 --platform $A "$r"
	expect_findings "$r" $A unknown:library-check-incomplete
}

@test "libs-app-cut: the program's own dynamic section is past its end: FAIL" {
	local r
	r=$(fx libs-app-cut:1)
	check_json 1 --platform $A "$r"
	expect_findings "$r" $A fail:binary-malformed
	expect_finding "$r" $A fail:binary-malformed \
		"entrypoint '/app': its dynamic section cannot be used \\(dynamic section past end of file: 64 bytes at offset 336, file size 324\\): the loader refuses it"
}

# The cost of the walk: a level's libraries are read together, in one
# pass over each layer, so a layer is read at most once per level of the
# walk, plus the few reads the entrypoint's own lookup makes.
# layer_reads counts the times a layer was read from its start.

@test "libs-deep: twenty levels of libraries: PASS, each layer read at most once per level" {
	local r
	r=$(fx libs-deep:1)
	check_json 0 --platform $A "$r"
	expect_verdict "$r" $A PASS
	expect_findings "$r" $A
	expect_finding "$r" $A info:libraries-found \
		"20 shared libraries found: libdeep00.so.1 \\(/usr/lib64/libdeep00.so.1\\)"
	# 2 layers, 20 levels (+1 for the program's own head)
	expect_jq "$r" $A '.stats.layer_reads | numbers <= 2 * 21' true
}

@test "libs-wide: twenty libraries needed at once: PASS, read in one pass" {
	local r
	r=$(fx libs-wide:1)
	check_json 0 --platform $A "$r"
	expect_verdict "$r" $A PASS
	expect_findings "$r" $A
	expect_finding "$r" $A info:libraries-found \
		"20 shared libraries found: libwide00.so.1 \\(/usr/lib64/libwide00.so.1\\), libwide01.so.1"
	# 2 layers, 1 level: not one read per library
	expect_jq "$r" $A '.stats.layer_reads | numbers <= 2 * 2' true
}

@test "libs-layers: twenty libraries over four layers: PASS, each layer read once per level" {
	local r
	r=$(fx libs-layers:1)
	check_json 0 --platform $A "$r"
	expect_verdict "$r" $A PASS
	expect_findings "$r" $A
	expect_finding "$r" $A info:libraries-found \
		"20 shared libraries found: liblayer00.so.1 \\(/usr/lib64/liblayer00.so.1\\)"
	# 5 layers, 1 level
	expect_jq "$r" $A '.stats.layer_reads | numbers <= 5 * 2' true
}
