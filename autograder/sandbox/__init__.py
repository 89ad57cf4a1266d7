"""Running untrusted notebooks: `isolation` (bubblewrap, env, cgroups), `host` (zygote and
student processes), `wire` (what crosses, bounded), `guest` (the sandboxed side; imports nothing
heavy of the kit), `proxy` (the `student` object hidden tests call, with its restart policy).

Kept free of imports: the guest imports this package inside the sandbox."""
