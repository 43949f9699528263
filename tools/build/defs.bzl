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
