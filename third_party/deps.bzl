"""coactor_dependencies(): what a workspace that uses coactor must declare.

A dependency's WORKSPACE is never read by Bazel: only the root WORKSPACE
counts. So every workspace that builds coactor (coactor's own, and a
downstream user's) calls this macro after declaring @coactor:

    local_repository(name = "coactor", path = "/path/to/coactor")
    load("@coactor//third_party:deps.bzl", "coactor_dependencies")
    coactor_dependencies()

It declares each repository below unless the workspace declared one of that
name already (so a user who brings their own Abseil or GoogleTest keeps it):

  rules_cc                Bazel 4.2.3's @bazel_tools loads @rules_cc; an
                          offline shim that re-exports the native C++ rules
                          (third_party/rules_cc).
  rules_java              Debian's bazel-rules-java, for the JDK toolchains
                          Bazel registers even for C++ builds.
  remote_coverage_tools   `bazel test` needs it; an offline stub
                          (third_party/remote_coverage_tools).
  com_google_absl         Abseil, GoogleTest and Google Benchmark from the
  com_google_googletest   Debian packages, under their upstream names and
  com_google_benchmark    labels (third_party/system_libs.bzl).

Nothing is downloaded. Paths inside coactor are found from labels, so this
works whatever name the workspace gives coactor's repository.
"""

load("@bazel_tools//tools/build_defs/repo:utils.bzl", "maybe")
load(
    ":system_libs.bzl",
    "system_absl_repository",
    "system_library_repository",
)

def _symlinked_directory_impl(rctx):
    if rctx.attr.path:
        src = rctx.path(rctx.attr.path)
    else:
        # A label of a file in coactor's //third_party package locates the
        # checkout; the directory itself is a separate workspace (it has a
        # WORKSPACE file), which labels cannot reach.
        src = rctx.path(rctx.attr.beside).dirname.get_child(rctx.attr.dir)
    if not src.exists:
        fail("%s not found: install the Debian package %s" %
             (src, rctx.attr.debian_package or "(none: is the coactor checkout complete?)"))
    for child in src.readdir():
        rctx.symlink(child, child.basename)

_symlinked_directory = repository_rule(
    implementation = _symlinked_directory_impl,
    attrs = {
        "beside": attr.label(
            default = Label("//third_party:deps.bzl"),
            allow_single_file = True,
        ),
        "debian_package": attr.string(),
        "dir": attr.string(doc = "A directory beside `beside`."),
        "path": attr.string(doc = "An absolute path instead of `dir`."),
    },
    local = True,
    doc = "A repository whose top-level entries are symlinks to a directory's.",
)

def coactor_dependencies():
    """Declares what coactor needs and the root WORKSPACE has not declared."""
    maybe(
        _symlinked_directory,
        name = "rules_cc",
        dir = "rules_cc",
    )
    maybe(
        _symlinked_directory,
        name = "rules_java",
        path = "/usr/share/bazel/rules/java",
        debian_package = "bazel-rules-java",
    )
    maybe(
        _symlinked_directory,
        name = "remote_coverage_tools",
        dir = "remote_coverage_tools",
    )
    maybe(
        system_absl_repository,
        name = "com_google_absl",
    )
    maybe(
        system_library_repository,
        name = "com_google_googletest",
        build_file = Label("//third_party:gtest.BUILD"),
        debian_package = "libgtest-dev",
        owners = {
            "gmock": "libgmock-dev",
            "libgmock.a": "libgmock-dev",
            "libgmock_main.a": "libgmock-dev",
        },
        include_dirs = ["gtest", "gmock"],
        required_libs = ["libgtest.a", "libgtest_main.a", "libgmock.a", "libgmock_main.a"],
    )
    maybe(
        system_library_repository,
        name = "com_google_benchmark",
        build_file = Label("//third_party:benchmark.BUILD"),
        debian_package = "libbenchmark-dev",
        include_dirs = ["benchmark"],
        required_libs = ["libbenchmark.so", "libbenchmark_main.a"],
    )
