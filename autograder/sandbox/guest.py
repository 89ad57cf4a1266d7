"""The sandboxed side: a warm "zygote" that forks one fresh student process per submission.

Run by `autograder.sandbox.host` as ``python -m autograder.sandbox.guest --zygote --fd N`` (under
bubblewrap when available). The zygote imports TensorFlow, Keras, NumPy, TFDS and matplotlib
but runs no TF op, then forks on request; each child (one submission):

1. becomes a session leader, applies rlimits, optionally unshares the network, moves into a
   private working directory, sends its stdout/stderr to a pipe the grader drains;
2. serves requests until the grader kills it: first ``run`` (the notebook: enter the
   profile's data mode, execute the code cells in one namespace; IPython magics and ``!`` lines
   become no-ops, ``skip-when-grading`` cells are skipped unless ``run_all``; a failing cell is
   recorded and execution continues), then ``call`` / ``has`` / ``get``.

A ``run`` and a ``call`` go through the same lines: `serve` -> `autograder.sandbox.cells.run_cells`
(the cell loop the in-process runner uses too) -> `_run`; a call is a one-cell run whose cell
(`<cell N>`, N past the notebook's cells, one per call) calls the student function. So every
frame above the calling cell is the same, frame by frame, as for a call from a notebook cell.

This module imports only the standard library and the few `autograder` modules bound into the
sandbox (`isolation.GUEST_MODULES`); it never sees hidden tests or other submissions.
"""

from __future__ import annotations

import builtins
import ctypes
import functools
import json
import keyword
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

if sys.modules.get("rfc3987_syntax", False) is None:  # blocked by autograder/__init__.py for
    del sys.modules["rfc3987_syntax"]  # the kit's processes; students get the environment as is

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
    main = types.ModuleType("__main__")  # like a kernel: cells run in a fresh __main__
    main.__dict__["__builtins__"] = builtins
    sys.modules["__main__"] = main
    serve(sock, main.__dict__, workdir)


def serve(sock: socket.socket, ns: dict[str, Any], workdir: str) -> None:
    """Answer the grader's requests (``run`` first) until it closes the connection."""
    from autograder.sandbox import wire

    models: dict[str, Any] = {}
    state: dict[str, Any] = {"next_cell": 0, "data_mode": None}

    def load_model(key: str, data: bytes | None) -> Any:
        if key not in models:
            import keras

            path = os.path.join(workdir, f".ag_arg_{len(models)}.keras")
            with open(path, "wb") as fh:
                fh.write(data or b"")
            try:
                models[key] = keras.saving.load_model(path, safe_mode=True, compile=True)
            finally:  # read whole: the student's folder looks as during the notebook's run
                os.unlink(path)
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
        elif op == "get":
            _reply(sock, ns.get(name), float(header.get("timeout", 60)))
        elif op in ("run", "call"):
            try:
                job = _job(sock, op, name, header, blobs, ns, workdir, state, load_model)
                if job is not None:  # the one line both a notebook and a graded call run from
                    report = run_cells(job["notebook"], ns, run_all=job["run_all"],
                                       timeout=job["timeout"], first=job["first"],
                                       call=op == "call")
                    _answer(sock, op, report, job["timeout"], state)
            except BaseException as exc:  # noqa: BLE001 - student code may raise anything
                if op == "run":
                    raise
                _failed(sock, exc, float(header.get("timeout", 60)))
        else:
            os._exit(0)


def _job(sock, op, name, header, blobs, ns, workdir, state, load_model) -> dict[str, Any] | None:
    """What `run_cells` runs for a request: the notebook, or one cell calling `name` (None when
    the reply is already sent: no such function)."""
    from autograder.sandbox import wire

    if op == "run":
        job = pickle.loads(blobs["job"])
        with open(os.path.join(workdir, job.get("filename", "submission.ipynb")), "w",
                  encoding="utf-8") as fh:
            fh.write(job["notebook"])
        from autograder.data.modes import open_data_mode

        state["data_mode"], state["setup_error"] = open_data_mode(job.get("values"))  # kept open
        nb = json.loads(job["notebook"])
        cells = nb.get("cells") if isinstance(nb, dict) else None
        state["next_cell"] = len(cells) if isinstance(cells, list) else 0
        return {"notebook": nb, "run_all": job.get("run_all", False),
                "timeout": float(job.get("timeout", 60)), "first": 0}
    fn = ns.get(name)
    if not callable(fn):
        wire.send_msg(sock, {"ok": False, "kind": "missing", "detail": name})
        return None
    args, kwargs = pickle.loads(blobs["args"])
    make_cb = lambda spec: _callback(sock, spec)  # noqa: E731
    args = wire.decode_args(args, load_model, make_cb)
    kwargs = wire.decode_args(kwargs, load_model, make_cb)
    index = state["next_cell"]
    state["next_cell"] += 1
    return {"notebook": {"cells": [_call_cell(name, fn, tuple(args), dict(kwargs), index)]},
            "run_all": False, "timeout": float(header.get("timeout", 60)), "first": index}


def _answer(sock, op, report, timeout: float, state: dict[str, Any]) -> None:
    """Reply to a ``run`` with its report, to a ``call`` with its value or failure."""
    from autograder.sandbox import wire

    if op == "run":
        report.setup_error = state.get("setup_error")
        wire.send_msg(sock, dict(report.to_wire(), op="ran"))
    elif report.error is not None:
        _failed(sock, report.error, timeout)
    elif report.timed_out:  # not run: no time left
        _failed(sock, SoftTimeout(), timeout)
    else:
        _reply(sock, report.value, timeout)


def _reply(sock, value: Any, timeout: float) -> None:
    """Send `value` (encoded under the call's time limit) or the failure encoding it raised."""
    from autograder.sandbox import wire

    try:
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            tree, out = wire.encode_return(value)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except BaseException as exc:  # noqa: BLE001 - a student value may raise anything
        _failed(sock, exc, timeout)
        return
    flush_output()
    wire.send_msg(sock, {"ok": True, "value": tree}, out)


def _failed(sock, exc: BaseException, timeout: float) -> None:
    """Report a failed call: timeout, bad_return, not_implemented or raised."""
    from autograder.sandbox import wire

    flush_output()
    if isinstance(exc, SoftTimeout):
        wire.send_msg(sock, {"ok": False, "kind": "timeout", "detail": f"{timeout:g}"})
    elif isinstance(exc, wire.BadReturn):
        wire.send_msg(sock, {"ok": False, "kind": "bad_return", "detail": str(exc)[:300]})
    else:
        kind = "raised"
        if isinstance(exc, NotImplementedError) or (isinstance(exc, NameError)
                                                    and "___" in short_message(exc)):
            kind = "not_implemented"
        wire.send_msg(sock, {"ok": False, "kind": kind, "exc_type": type(exc).__name__,
                             "detail": short_message(exc)})


def _call_cell(name: str, fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any],
               index: int) -> dict[str, Any]:
    """A code cell `<cell index>` whose code calls `fn(*args, **kwargs)` from module level:
    its source reads `name(*args, **kwargs)`, but the function and its arguments are constants
    of the code, in no namespace (the notebook's globals stay as the student left them)."""
    if not name.isidentifier() or keyword.iskeyword(name) or name in ("args", "kwargs"):
        name = "function"
    text = f"{name}(*args, **kwargs)\n"
    template, order = _call_template(text)
    values = {name: fn, "args": args, "kwargs": kwargs}
    code = template.replace(co_filename=f"<cell {index}>",
                            co_consts=tuple(values[n] for n in order))
    return {"cell_type": "code", "metadata": {}, "source": text, "code": code}


@functools.lru_cache(maxsize=256)
def _call_template(text: str) -> tuple[types.CodeType, tuple[str, ...]]:
    """`text` compiled with each LOAD_NAME turned into a LOAD_CONST of the same index (the
    constants still to fill, in the order of the names returned)."""
    import dis

    code = compile(text, "<cell>", "eval")
    unexpected = RuntimeError(f"unexpected call bytecode on Python {sys.version.split()[0]}")
    if code.co_consts or len(code.co_names) != 3:
        raise unexpected
    raw = bytearray(code.co_code)
    load_name, load_const = dis.opmap["LOAD_NAME"], dis.opmap["LOAD_CONST"]
    for ins in dis.get_instructions(code):
        if ins.opcode == load_name:
            if raw[ins.offset] != load_name or ins.arg is None or ins.arg >= 3:
                raise unexpected
            raw[ins.offset] = load_const
        elif ins.opname in ("LOAD_GLOBAL", "STORE_NAME", "DELETE_NAME", "IMPORT_NAME"):
            raise unexpected
    return (code.replace(co_code=bytes(raw), co_names=(), co_consts=(None, None, None)),
            code.co_names)


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
