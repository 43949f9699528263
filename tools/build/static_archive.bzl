"""cc_static_archive: one .a holding every object of a cc_library and of
the project's libraries below it, for a -dev package (Bazel 4.2's own
archives hold only each target's own objects).

Position-independent objects where the build made them: Debian links
executables as PIE by default. System libraries named in linkopts (-lxen*)
stay out; the .pc file's Requires.private names them.
"""

def _cc_static_archive_impl(ctx):
    objects = []
    for dep in ctx.attr.deps:
        for linker_input in dep[CcInfo].linking_context.linker_inputs.to_list():
            for library in linker_input.libraries:
                if library.pic_objects:
                    objects.extend(library.pic_objects)
                elif library.objects:
                    objects.extend(library.objects)
    out = ctx.actions.declare_file(ctx.attr.out)
    args = ctx.actions.args()
    args.add(out)
    args.add_all(objects)
    # `q` appends, so two objects with one basename (status.o in two
    # packages) are both kept; `s` writes the index once at the end.
    ctx.actions.run_shell(
        inputs = objects,
        outputs = [out],
        arguments = [args],
        command = 'out="$1"; shift; rm -f "$out"; ar qcD "$out" "$@" && ranlib -D "$out"',
        mnemonic = "StaticArchive",
        progress_message = "Archiving %s" % out.short_path,
    )
    return [DefaultInfo(
        files = depset([out]),
        runfiles = ctx.runfiles(files = [out]),
    )]

cc_static_archive = rule(
    implementation = _cc_static_archive_impl,
    attrs = {
        "deps": attr.label_list(providers = [CcInfo]),
        "out": attr.string(mandatory = True),
    },
)
