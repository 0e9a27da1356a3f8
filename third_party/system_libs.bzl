"""Bind Debian's system C++ libraries under their UPSTREAM Bazel labels.

Our BUILD files depend on `@com_google_absl//absl/container:flat_hash_map`,
`@com_google_googletest//:gtest_main`, `@com_google_benchmark//:benchmark`, ...
exactly as a downstream user would against the upstream repositories. Only the
root WORKSPACE knows that, here, those repositories are generated from the
Debian packages (libabsl-dev, libgtest-dev, libbenchmark-dev), fully offline.

Each repository symlinks the relevant header directory from /usr/include into
`include/` of the generated repository (so only that directory, never all of
/usr/include, lands on an -isystem path) and links with plain `-lNAME` flags
(the libraries live in the default search path /usr/lib/x86_64-linux-gnu).

Used by coactor_dependencies() in deps.bzl, which every workspace that
builds coactor calls.
"""

# Abseil (Debian: LTS 20220623, no absl/log). Upstream package -> upstream
# target name -> pkg-config module (/usr/lib/x86_64-linux-gnu/pkgconfig/absl_*.pc).
# Link flags are computed at fetch time with `pkg-config --libs MODULE`.
_ABSL_TARGETS = {
    "absl/algorithm": {
        "algorithm": "absl_algorithm",
        "container": "absl_algorithm_container",
    },
    "absl/base": {
        "base": "absl_base",
        "config": "absl_config",
        "core_headers": "absl_core_headers",
        "dynamic_annotations": "absl_dynamic_annotations",
        "endian": "absl_endian",
        "log_severity": "absl_log_severity",
        "prefetch": "absl_prefetch",
    },
    "absl/cleanup": {
        "cleanup": "absl_cleanup",
    },
    "absl/container": {
        "btree": "absl_btree",
        "fixed_array": "absl_fixed_array",
        "flat_hash_map": "absl_flat_hash_map",
        "flat_hash_set": "absl_flat_hash_set",
        "inlined_vector": "absl_inlined_vector",
        "node_hash_map": "absl_node_hash_map",
        "node_hash_set": "absl_node_hash_set",
    },
    "absl/debugging": {
        "failure_signal_handler": "absl_failure_signal_handler",
        "leak_check": "absl_leak_check",
        "stacktrace": "absl_stacktrace",
        "symbolize": "absl_symbolize",
    },
    "absl/flags": {
        "commandlineflag": "absl_flags_commandlineflag",
        "config": "absl_flags_config",
        "flag": "absl_flags",
        "marshalling": "absl_flags_marshalling",
        "parse": "absl_flags_parse",
        "reflection": "absl_flags_reflection",
        "usage": "absl_flags_usage",
    },
    "absl/functional": {
        "any_invocable": "absl_any_invocable",
        "bind_front": "absl_bind_front",
        "function_ref": "absl_function_ref",
    },
    "absl/hash": {
        "hash": "absl_hash",
    },
    "absl/memory": {
        "memory": "absl_memory",
    },
    "absl/meta": {
        "type_traits": "absl_type_traits",
    },
    "absl/numeric": {
        "bits": "absl_bits",
        "int128": "absl_int128",
        "representation": "absl_numeric_representation",
    },
    "absl/random": {
        "bit_gen_ref": "absl_random_bit_gen_ref",
        "distributions": "absl_random_distributions",
        "random": "absl_random_random",
        "seed_gen_exception": "absl_random_seed_gen_exception",
        "seed_sequences": "absl_random_seed_sequences",
    },
    "absl/status": {
        "status": "absl_status",
        "statusor": "absl_statusor",
    },
    "absl/strings": {
        "cord": "absl_cord",
        "str_format": "absl_str_format",
        "strings": "absl_strings",
    },
    "absl/synchronization": {
        "synchronization": "absl_synchronization",
    },
    "absl/time": {
        "time": "absl_time",
    },
    "absl/types": {
        "any": "absl_any",
        "bad_optional_access": "absl_bad_optional_access",
        "bad_variant_access": "absl_bad_variant_access",
        "compare": "absl_compare",
        "optional": "absl_optional",
        "span": "absl_span",
        "variant": "absl_variant",
    },
    "absl/utility": {
        "utility": "absl_utility",
    },
}

_HEADER_GLOB = '["include/{d}/**/*.h", "include/{d}/**/*.hpp", "include/{d}/**/*.inc"]'

def _starlark_list(items):
    return "[" + ", ".join(['"%s"' % i for i in items]) + "]"

def _require_dir(rctx, path, package):
    if not rctx.path(path).exists:
        fail(("%s not found: install the Debian package %s (apt-get install %s; " +
              "in coactor's own checkout ./bazelw installs it)") % (path, package, package))

def _pkg_config(rctx, pkg_config, args, module):
    res = rctx.execute([pkg_config] + args + [module])
    if res.return_code != 0:
        fail("pkg-config %s %s failed:\n%s" % (" ".join(args), module, res.stderr))

    # (Bazel 4.2.3 Starlark: split() needs an explicit separator.)
    return [f for f in res.stdout.replace("\n", " ").replace("\t", " ").split(" ") if f]

def _absl_impl(rctx):
    prefix = rctx.attr.prefix
    include = prefix + "/include"
    _require_dir(rctx, include + "/absl", "libabsl-dev")
    pkg_config = rctx.which("pkg-config")
    if pkg_config == None:
        fail("pkg-config not found: install the Debian package pkg-config " +
             "(apt-get install pkg-config; in coactor's own checkout ./bazelw installs it)")

    rctx.symlink(include + "/absl", "include/absl")
    rctx.file("WORKSPACE", 'workspace(name = "%s")\n' % rctx.name)
    rctx.file("BUILD.bazel", "\n".join([
        "# Generated by @coactor//third_party:system_libs.bzl (system_absl_repository).",
        "# All Abseil headers, from %s/absl (Debian libabsl-dev)." % include,
        "cc_library(",
        '    name = "absl_headers",',
        "    hdrs = glob(%s)," % _HEADER_GLOB.format(d = "absl"),
        '    includes = ["include"],',
        '    visibility = ["//absl:__subpackages__"],',
        ")",
        "",
    ]))

    for package, targets in _ABSL_TARGETS.items():
        lines = [
            "# Generated by @coactor//third_party:system_libs.bzl from the system Abseil",
            "# (headers %s/absl, link flags from pkg-config)." % include,
            'package(default_visibility = ["//visibility:public"])',
            "",
        ]
        for name in sorted(targets.keys()):
            module = targets[name]
            libs = _pkg_config(rctx, pkg_config, ["--libs"], module)

            # The default library directory needs no -L flag.
            libs = [f for f in libs if f not in ("-L" + rctx.attr.libdir, "-L" + rctx.attr.libdir + "/")]
            cflags = _pkg_config(rctx, pkg_config, ["--cflags-only-other"], module)
            defines = [f[2:] for f in cflags if f.startswith("-D")]
            lines += [
                "cc_library(",
                '    name = "%s",' % name,
                '    deps = ["//:absl_headers"],',
                "    defines = %s," % _starlark_list(defines),
                "    # pkg-config --libs %s" % module,
                "    linkopts = %s," % _starlark_list(libs),
                ")",
                "",
            ]
        rctx.file(package + "/BUILD.bazel", "\n".join(lines))

system_absl_repository = repository_rule(
    implementation = _absl_impl,
    attrs = {
        "prefix": attr.string(default = "/usr"),
        "libdir": attr.string(default = "/usr/lib/x86_64-linux-gnu"),
    },
    local = True,
    doc = "Abseil from the system (Debian libabsl-dev) under upstream labels.",
)

def _system_library_impl(rctx):
    include = rctx.attr.prefix + "/include"
    owners = rctx.attr.owners
    for d in rctx.attr.include_dirs:
        _require_dir(rctx, include + "/" + d, owners.get(d, rctx.attr.debian_package))
        rctx.symlink(include + "/" + d, "include/" + d)
    for lib in rctx.attr.required_libs:
        _require_dir(rctx, rctx.attr.libdir + "/" + lib, owners.get(lib, rctx.attr.debian_package))
    rctx.file("WORKSPACE", 'workspace(name = "%s")\n' % rctx.name)
    rctx.template("BUILD.bazel", rctx.attr.build_file, {}, executable = False)

system_library_repository = repository_rule(
    implementation = _system_library_impl,
    attrs = {
        "build_file": attr.label(mandatory = True, allow_single_file = True),
        "debian_package": attr.string(mandatory = True),
        # Include directories or libraries that another package provides
        # (gmock is libgmock-dev's, not libgtest-dev's).
        "owners": attr.string_dict(),
        "include_dirs": attr.string_list(mandatory = True),
        "libdir": attr.string(default = "/usr/lib/x86_64-linux-gnu"),
        "prefix": attr.string(default = "/usr"),
        "required_libs": attr.string_list(),
    },
    local = True,
    doc = "A system library: symlinks /usr/include/<dir> into include/<dir>, " +
          "BUILD file from build_file.",
)

def coactor_benchmark_deps():
    """Declares @caf (Debian libcaf-dev, CAF 0.17.6) for //bench/caf.

    Only coactor's own WORKSPACE calls this: the comparison benchmarks are
    not part of what a downstream user builds.
    """
    system_library_repository(
        name = "caf",
        build_file = Label("//third_party:caf.BUILD"),
        debian_package = "libcaf-dev",
        include_dirs = ["caf"],
        required_libs = ["libcaf_core.so", "libcaf_io.so"],
    )
