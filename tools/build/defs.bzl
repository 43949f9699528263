"""One shape for the tree's tests.

Warnings are set once, in .bazelrc (-Wall -Wextra, -Werror outside
external/); these macros only remove the repetition of test stanzas.
"""

def xenshm_cc_test(name, srcs = None, deps = [], size = "small", **kwargs):
    """A GoogleTest binary: `name`.cc (unless `srcs` says otherwise), linked
    with gtest_main."""
    native.cc_test(
        name = name,
        size = size,
        srcs = srcs if srcs != None else [name + ".cc"],
        deps = deps + ["@googletest//:gtest_main"],
        **kwargs
    )

def xenshm_cc_tests(names, deps = [], **kwargs):
    """One xenshm_cc_test per name, all with the same deps."""
    for name in names:
        xenshm_cc_test(name = name, deps = deps, **kwargs)

def xenshm_cc_fuzzer(name, deps = []):
    """A coverage-guided fuzz target, `name`.cc defining
    LLVMFuzzerTestOneInput (docs/fuzzing.md), and its corpus replay test.

    Makes three targets:
      name               the fuzzer: linked with libFuzzer under
                         --config=fuzz, else with replay_main (runs the
                         target on the files named on its command line)
      name_lib           the target's code
      name_corpus_test   runs the target once on every input of
                         tests/fuzz/corpus/`name`/ in ordinary builds
    """
    native.cc_library(
        name = name + "_lib",
        testonly = True,
        srcs = [name + ".cc"],
        deps = deps + ["//tests/fuzz:fuzz_check"],
        alwayslink = True,
    )
    native.cc_binary(
        name = name,
        testonly = True,
        deps = [":" + name + "_lib"] + select({
            "//tests/fuzz:libfuzzer": [],
            "//conditions:default": ["//tests/fuzz:replay_main"],
        }),
        linkopts = select({
            "//tests/fuzz:libfuzzer": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
    )
    corpus = "tests/fuzz/corpus/" + name
    native.cc_test(
        name = name + "_corpus_test",
        size = "small",
        srcs = ["//tests/fuzz:corpus_replay_test.cc"],
        data = native.glob(["corpus/" + name + "/*"]),
        local_defines = ['XENSHM_FUZZ_CORPUS=\\"%s\\"' % corpus],
        deps = [
            ":" + name + "_lib",
            "//tests/fuzz:replay",
            "@googletest//:gtest_main",
        ],
    )
