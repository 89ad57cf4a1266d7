"""The sandboxed side: a warm "zygote" that forks one fresh student process per submission.

Run by `autograder.sandbox.host` as ``python -m autograder.sandbox.guest --zygote --fd N`` (under
bubblewrap when available). The zygote imports TensorFlow, Keras, NumPy, TFDS and matplotlib
but runs no TF op, then forks on request; each child (one submission):

1. becomes a session leader, applies rlimits, optionally unshares the network, moves into a
   private working directory, sends its stdout/stderr to a pipe the grader drains;
2. receives the notebook, enters the profile's data mode, executes the code cells in one
   namespace (IPython magics and ``!`` lines become no-ops, ``skip-when-grading`` cells are
   skipped unless ``run_all``; a failing cell is recorded and execution continues);
3. serves ``call`` / ``has`` / ``get`` requests until the grader kills it.

Step 2 is `autograder.sandbox.cells.run_cells`, the same cell loop the in-process runner uses.

This module imports only the standard library and the few `autograder` modules bound into the
sandbox (`isolation.GUEST_MODULES`); it never sees hidden tests or other submissions.
"""

from __future__ import annotations

import builtins
import ctypes
import os
import pickle
import resource
import shutil
import signal
import socket
import sys
import tempfile
import time
import types
from typing import Any

from autograder.sandbox.cells import SoftTimeout, flush_output, on_alarm, run_cells, short_message

PRELOAD = ("numpy", "tensorflow", "keras", "tensorflow_datasets", "matplotlib",
           "matplotlib.pyplot", "IPython.core.inputtransformer2", "autograder.exchange",
           "autograder.data.modes", "autograder.sandbox.wire")
CLONE_NEWNET = 0x40000000
PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 4, 36


# zygote --------------------------------------------------------------------------------------
def zygote(fd: int) -> None:
    """Preload, then fork one student process per `spawn` request on control socket `fd`."""
    from autograder.sandbox import wire

    t0 = time.monotonic()
    failed = []
    preload = os.environ.get("AUTOGRADER_SANDBOX_PRELOAD")
    for name in preload.split(",") if preload else PRELOAD:
        try:
            __import__(name)
        except Exception as exc:  # noqa: BLE001 - report, do not die
            failed.append(f"{name}: {type(exc).__name__}: {exc}"[:300])
    preload_s = time.monotonic() - t0
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)  # students cannot ptrace the zygote
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)  # orphans stay under us (then get killed)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # auto-reap children and adopted orphans
    ctrl = socket.socket(fileno=fd)
    live: dict[int, str] = {}  # pid -> private workdir of students we forked
    wire.send_msg(ctrl, {"op": "ready", "preload_s": preload_s, "failed": failed,
                         "pid": os.getpid()})
    while True:
        try:
            header, blobs = wire.recv_msg(ctrl)
        except (EOFError, wire.WireError):
            os._exit(0)
        if header.get("op") != "spawn":
            os._exit(0)
        opts = pickle.loads(blobs["opts"])
        base = opts["workdir_base"]
        for pid, workdir in list(live.items()):
            if not _alive(pid):
                shutil.rmtree(workdir, ignore_errors=True)
                del live[pid]
        if not live:  # also whatever earlier students wrote elsewhere (/tmp, /dev/shm)
            for folder in opts.get("wipe") or [base]:
                _wipe(folder)
        opts["workdir"] = tempfile.mkdtemp(prefix="student-", dir=base)
        parent_end, child_end = socket.socketpair()
        out_r, out_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                ctrl.close()
                parent_end.close()
                os.close(out_r)
                student_process(child_end, out_w, opts)
            finally:
                os._exit(70)
        live[pid] = opts["workdir"]
        child_end.close()
        os.close(out_w)
        socket.send_fds(ctrl, [b"F"], [parent_end.fileno(), out_r])
        parent_end.close()
        os.close(out_r)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def _wipe(base: str) -> None:
    """Remove what earlier students left in the shared temp base (sequential use only)."""
    try:
        for entry in os.listdir(base):
            path = os.path.join(base, entry)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                try:
                    os.unlink(path)
                except OSError:
                    pass
    except OSError:
        pass


# student process -----------------------------------------------------------------------------
def _limits(opts: dict[str, Any]) -> None:
    mb = 1024 * 1024
    for res, value in ((resource.RLIMIT_AS, opts.get("memory_mb", 0) * mb),
                       (resource.RLIMIT_FSIZE, opts.get("fsize_mb", 0) * mb),
                       (resource.RLIMIT_NPROC, opts.get("nproc", 0)),
                       (resource.RLIMIT_CORE, 0)):
        if value or res == resource.RLIMIT_CORE:
            try:
                resource.setrlimit(res, (int(value), int(value)))
            except (ValueError, OSError):
                pass
    cpu = int(opts.get("cpu_s", 0))
    if cpu:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))


def student_process(sock: socket.socket, out_w: int, opts: dict[str, Any]) -> None:
    """Body of one student process (never returns normally)."""
    from autograder.sandbox import wire

    os.setsid()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGALRM, on_alarm)
    if opts.get("unshare_net"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.unshare(CLONE_NEWNET)
    workdir = opts["workdir"]
    os.chdir(workdir)
    home = os.path.join(workdir, ".home")
    os.makedirs(home, exist_ok=True)
    os.environ.update({"HOME": home, "TMPDIR": workdir, "MPLCONFIGDIR": home})
    os.environ.setdefault("KERAS_HOME", os.path.join(home, ".keras"))
    tempfile.tempdir = workdir
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(out_w, 1)
    os.dup2(out_w, 2)
    os.close(out_w)
    _limits(opts)
    header, blobs = wire.recv_msg(sock)
    job = pickle.loads(blobs["job"])
    nb_path = os.path.join(workdir, job.get("filename", "submission.ipynb"))
    with open(nb_path, "w", encoding="utf-8") as fh:
        fh.write(job["notebook"])
    main = types.ModuleType("__main__")  # like a kernel: cells run in a fresh __main__
    main.__dict__["__builtins__"] = builtins
    sys.modules["__main__"] = main
    ns: dict[str, Any] = main.__dict__
    from autograder.data.modes import open_data_mode

    data_mode, setup_error = open_data_mode(job.get("values"))  # open for the process's life
    report = run_cells(job["notebook"], ns, run_all=job.get("run_all", False),
                       timeout=float(job.get("timeout", 60)))
    report.setup_error = setup_error
    wire.send_msg(sock, dict(report.to_wire(), op="ran"))
    serve(sock, ns, workdir)
    data_mode.close()


def serve(sock: socket.socket, ns: dict[str, Any], workdir: str) -> None:
    """Answer the grader's requests until it closes the connection."""
    from autograder.sandbox import wire

    models: dict[str, Any] = {}

    def load_model(key: str, data: bytes | None) -> Any:
        if key not in models:
            import keras

            path = os.path.join(workdir, f".ag_arg_{len(models)}.keras")
            with open(path, "wb") as fh:
                fh.write(data or b"")
            models[key] = keras.saving.load_model(path, safe_mode=True, compile=True)
        return models[key]

    while True:
        try:
            header, blobs = wire.recv_msg(sock)
        except (EOFError, wire.WireError):
            os._exit(0)
        op = header.get("op")
        name = str(header.get("func", ""))
        if op == "has":
            wire.send_msg(sock, {"ok": True, "has": callable(ns.get(name))})
        elif op in ("call", "get"):
            _answer(sock, op, name, ns, blobs, header, load_model, workdir)
        else:
            os._exit(0)


def _answer(sock, op, name, ns, blobs, header, load_model, workdir) -> None:
    from autograder.sandbox import wire

    timeout = float(header.get("timeout", 60))
    try:
        if op == "get":
            value = ns.get(name)
        else:
            fn = ns.get(name)
            if not callable(fn):
                wire.send_msg(sock, {"ok": False, "kind": "missing", "detail": name})
                return
            args, kwargs = pickle.loads(blobs["args"])
            make_cb = lambda spec: _callback(sock, spec)  # noqa: E731
            args = wire.decode_args(args, load_model, make_cb)
            kwargs = wire.decode_args(kwargs, load_model, make_cb)
            signal.setitimer(signal.ITIMER_REAL, timeout)
            try:
                value = _invoke(fn, args, kwargs, ns)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            tree, out = wire.encode_return(value)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except SoftTimeout:
        flush_output()
        wire.send_msg(sock, {"ok": False, "kind": "timeout", "detail": f"{timeout:g}"})
        return
    except wire.BadReturn as exc:
        flush_output()
        wire.send_msg(sock, {"ok": False, "kind": "bad_return", "detail": str(exc)[:300]})
        return
    except BaseException as exc:  # noqa: BLE001 - student code may raise anything
        flush_output()
        kind = "raised"
        if isinstance(exc, NotImplementedError) or (isinstance(exc, NameError)
                                                    and "___" in short_message(exc)):
            kind = "not_implemented"
        wire.send_msg(sock, {"ok": False, "kind": kind, "exc_type": type(exc).__name__,
                             "detail": short_message(exc)})
        return
    flush_output()
    wire.send_msg(sock, {"ok": True, "value": tree}, out)


_CALL = "__ag_fn__(*__ag_args__, **__ag_kwargs__)"


def _invoke(fn: Any, args: Any, kwargs: Any, ns: dict[str, Any]) -> Any:
    """Call a student function from a frame that looks like a notebook cell's: module-level
    code named `<cell N>` whose globals and locals are the notebook namespace (the function,
    its arguments and the grader's request are constants of that code, in no namespace), so
    the caller's filename, code name, globals and locals are what a call from the student's
    own cells shows. Frames further out name the kit's dispatch functions, as they do for a
    cell; a determined student can still tell that the notebook has finished running; nothing
    of the checks (they run in the grader) is reachable from here."""
    index = sum(1 for k in _linecache_keys() if k.startswith("<cell "))
    code = _call_code(compile(_CALL, f"<cell {index}>", "eval"), fn, tuple(args), dict(kwargs))
    if code is not None:
        return eval(code, ns)  # noqa: S307 - our constant call expression
    scope = {"__ag_fn__": fn, "__ag_args__": args, "__ag_kwargs__": kwargs}  # other Pythons
    return eval(compile(_CALL, f"<cell {index}>", "eval"), ns, scope)  # noqa: S307


def _call_code(code: types.CodeType, *values: Any) -> types.CodeType | None:
    """`code` with its LOAD_NAMEs of `__ag_fn__`, `__ag_args__`, `__ag_kwargs__` turned into
    LOAD_CONSTs of `values` (None when this interpreter's bytecode is not the expected
    shape)."""
    import dis

    if code.co_consts or code.co_names != ("__ag_fn__", "__ag_args__", "__ag_kwargs__"):
        return None
    raw = bytearray(code.co_code)
    load_name, load_const = dis.opmap["LOAD_NAME"], dis.opmap["LOAD_CONST"]
    seen = 0
    for ins in dis.get_instructions(code):
        if ins.opcode == load_name:
            if raw[ins.offset] != load_name or ins.arg is None or ins.arg > 2:
                return None
            raw[ins.offset] = load_const
            seen += 1
    if seen != 3:
        return None
    return code.replace(co_code=bytes(raw), co_consts=values, co_names=())


def _linecache_keys() -> list[str]:
    import linecache

    return list(linecache.cache)


def _callback(sock: socket.socket, spec: dict[str, Any]):
    """A function that runs the checker's callable in the grader (trusted) process."""
    from autograder.sandbox import wire

    def call(*args: Any, **kwargs: Any) -> Any:
        tree, blobs = wire.encode_return((list(args), kwargs))
        wire.send_msg(sock, {"op": "callback", "index": spec["index"], "value": tree}, blobs)
        header, rblobs = wire.recv_msg(sock)
        if not header.get("ok"):
            raise RuntimeError(header.get("detail", "callback failed"))
        return wire.decode_args(pickle.loads(rblobs["value"]), lambda k, d: None)

    call.__name__ = spec.get("name", "callback")
    return call


def main(argv: list[str]) -> None:
    if len(argv) >= 3 and argv[0] == "--zygote" and argv[1] == "--fd":
        zygote(int(argv[2]))
    else:
        print("usage: python -m autograder.sandbox.guest --zygote --fd N", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv[1:])
