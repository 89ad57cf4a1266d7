"""The sandbox's seccomp filter, written as a classic BPF program (no library needed).

Refused with EPERM: leaving or making namespaces (setns, unshare, clone with CLONE_NEW* flags),
mounting (mount, umount2, pivot_root, the new mount API), tracing and cross-process memory
(ptrace, process_vm_readv/writev), bpf, perf_event_open, keyrings (keyctl, add_key, request_key),
kernel modules and kexec, open_by_handle_at, userfaultfd; syscalls of a foreign ABI (x32, i386 on
x86_64) are refused too. Signals (kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo,
pidfd_open) aimed at the sandbox's pid 1 (bwrap's init), the zygote (`ZYGOTE_PID`), their process
groups or every process (-1) are refused, so a student cannot take the warm zygote down. clone3 gets ENOSYS (its flags live in memory a filter cannot read), so
libc falls back to clone, whose flags are checked. Everything else is allowed.
`program()` is None on architectures without a table here (the isolation then lacks SECCOMP).
"""

from __future__ import annotations

import errno
import os
import platform
import struct

# BPF opcodes and seccomp return values (linux/filter.h, linux/seccomp.h)
LD_W_ABS, JEQ, JGE, JSET, RET = 0x20, 0x15, 0x35, 0x45, 0x06
RET_ALLOW, RET_ERRNO = 0x7FFF0000, 0x00050000
CLONE_NEW_FLAGS = 0x7E020080  # NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET|NEWTIME
ZYGOTE_PID = 2  # inside bwrap's pid namespace: 1 is bwrap's init, 2 the program it runs
PROTECTED_PIDS = (1, ZYGOTE_PID, 0xFFFFFFFF, 0xFFFFFFFE)  # and -1 (everyone), -2 (its group)
SIGNALLING = ("kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "pidfd_open")

# arch -> (AUDIT_ARCH value, first foreign syscall number or None, {name: number})
_COMMON_NEW = {"open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431,
               "fsmount": 432, "fspick": 433, "mount_setattr": 442}
TABLES: dict[str, tuple[int, int | None, dict[str, int]]] = {
    "x86_64": (0xC000003E, 0x40000000, {
        "setns": 308, "unshare": 272, "mount": 165, "umount2": 166, "pivot_root": 155,
        "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "bpf": 321,
        "perf_event_open": 298, "keyctl": 250, "add_key": 248, "request_key": 249,
        "kexec_load": 246, "kexec_file_load": 320, "init_module": 175, "finit_module": 313,
        "delete_module": 176, "open_by_handle_at": 304, "userfaultfd": 323, **_COMMON_NEW,
        "clone": 56, "clone3": 435, "kill": 62, "tkill": 200, "tgkill": 234,
        "rt_sigqueueinfo": 129, "rt_tgsigqueueinfo": 297, "pidfd_open": 434}),
    "aarch64": (0xC00000B7, None, {
        "setns": 268, "unshare": 97, "mount": 40, "umount2": 39, "pivot_root": 41,
        "ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271, "bpf": 280,
        "perf_event_open": 241, "keyctl": 219, "add_key": 217, "request_key": 218,
        "kexec_load": 104, "kexec_file_load": 294, "init_module": 105, "finit_module": 273,
        "delete_module": 106, "open_by_handle_at": 265, "userfaultfd": 282, **_COMMON_NEW,
        "clone": 220, "clone3": 435, "kill": 129, "tkill": 130, "tgkill": 131,
        "rt_sigqueueinfo": 138, "rt_tgsigqueueinfo": 240, "pidfd_open": 434}),
}


def _insn(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def program(machine: str | None = None) -> bytes | None:
    """The filter for `machine` (default: this one) as `struct sock_filter[]` bytes."""
    table = TABLES.get(machine or platform.machine())
    if table is None:
        return None
    arch, foreign, nrs = table
    special = ("clone", "clone3", *SIGNALLING)
    denied = [nr for name, nr in nrs.items() if name not in special]
    # layout: ld arch, jeq arch, ret EPERM, ld nr, body (jge foreign, jeq denied..., jeq clone3,
    # jeq clone, jeq signalling...), ret allow, [flags] ld arg0, jset, ret allow,
    # [pid] ld arg0, jeq protected..., ret allow, [deny] ret EPERM, [enosys] ret ENOSYS
    body: list[tuple[int, int, str | int]] = [(JGE, foreign or 0xFFFFFFFF, "deny")]
    body += [(JEQ, nr, "deny") for nr in denied]
    body += [(JEQ, nrs["clone3"], "enosys"), (JEQ, nrs["clone"], "flags")]
    body += [(JEQ, nrs[name], "pid") for name in SIGNALLING]
    end = 4 + len(body)  # index of the first instruction after the body
    pid_at = end + 4
    labels = {"flags": end + 1, "pid": pid_at, "deny": pid_at + len(PROTECTED_PIDS) + 2}
    labels["enosys"] = labels["deny"] + 1
    out = [_insn(LD_W_ABS, 4), _insn(JEQ, arch, 1, 0), _insn(RET, RET_ERRNO | errno.EPERM),
           _insn(LD_W_ABS, 0)]
    for here, (code, k, target) in enumerate(body, start=4):
        out.append(_insn(code, k, labels[str(target)] - here - 1))
    out += [_insn(RET, RET_ALLOW),
            _insn(LD_W_ABS, 16),  # low 32 bits of args[0] (clone flags) on little-endian
            _insn(JSET, CLONE_NEW_FLAGS, labels["deny"] - (end + 2) - 1, 0), _insn(RET, RET_ALLOW),
            _insn(LD_W_ABS, 16)]  # args[0] of the signalling calls: the target pid (pid_t)
    for i, pid in enumerate(PROTECTED_PIDS):
        out.append(_insn(JEQ, pid, labels["deny"] - (pid_at + 1 + i) - 1))
    out += [_insn(RET, RET_ALLOW), _insn(RET, RET_ERRNO | errno.EPERM),
            _insn(RET, RET_ERRNO | errno.ENOSYS)]
    assert len(out) == labels["enosys"] + 1 and all(len(x) == 8 for x in out)
    return b"".join(out)


def program_fd() -> int | None:
    """A readable fd (pipe) holding `program()`, for bwrap's `--seccomp FD`; None when there
    is no table for this architecture. The caller passes it and closes it."""
    data = program()
    if data is None:
        return None
    r, w = os.pipe()
    os.write(w, data)  # a few hundred bytes: far below the pipe's buffer
    os.close(w)
    return r
