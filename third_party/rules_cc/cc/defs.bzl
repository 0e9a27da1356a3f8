"""Offline stand-in for @rules_cc//cc:defs.bzl: re-exports Bazel's native rules.

Debian's bazel-rules-cc is too new for Bazel 4.2.3 (it loads use_cpp_toolchain),
so this minimal shim is used instead.
"""

cc_library = native.cc_library
cc_binary = native.cc_binary
cc_test = native.cc_test
cc_import = native.cc_import
cc_proto_library = native.cc_proto_library
cc_toolchain = native.cc_toolchain
cc_toolchain_suite = native.cc_toolchain_suite
objc_library = native.objc_library
objc_import = native.objc_import
fdo_profile = native.fdo_profile
fdo_prefetch_hints = native.fdo_prefetch_hints
