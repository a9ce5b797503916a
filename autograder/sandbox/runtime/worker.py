"""The worker main program: runs student code in its own process and answers the grader over two pipes.

This file is *not* imported by the grader. :class:`~autograder.sandbox.session.WorkerSession` copies it, together
with the other runtime files (``scratch.RUNTIME_FILES``: the codec, the output cap and the process set-up), into a
grader-owned runtime folder (``<scratch>/runtime/``) and runs it by file path::

    python -s -P -B -u <scratch>/runtime/worker.py --request-fd R --reply-fd W --exchange DIR \\
        --modules trees,mnist_mlp --parent-pid PID --rlimits nproc=512,fsize=1073741824,nofile=1024 \\
        --preload torch,pandas,sklearn.tree [--drop-to UID:GID]

with the submission's scratch copy (``<scratch>/work/``) as working directory. ``-s -P`` keep the user site and
the script folder off ``sys.path`` (``-I`` would also imply ``-E``, which would make the interpreter ignore the
``PYTHONHASHSEED=0`` the session sets; the session builds the environment from nothing, so no stray ``PYTHON*``
variable can reach it). The runtime files next to this one are imported as a package of their own,
``_autograder_sandbox_runtime`` (whose only folder is the runtime folder; they import each other relatively), so
the worker imports nothing from the ``autograder`` package and works even where that package is not importable
(another user, another virtualenv layout).

Protocol: one JSON object per line. The grader writes requests on fd R, the worker answers on fd W; stdout and
stderr are the grader's log file and are student output, never parsed. After start-up (NumPy and the ``--preload``
libraries imported, so that no call waits for them; the CUDA context created if torch is one and a GPU is visible)
the worker says hello::

    {"hello": true, "device": "cuda" | "cpu", "pid": 1234, "python": "3.11.7", "torch": "2.x" | null,
     "uid": 999, "parent_uid": 999}

(``uid``: the worker's uid; ``parent_uid``: that uid in the parent of its user namespace. The grader checks the one
that is in its own namespace against the uid its isolation level chose.)

then serves requests until the request pipe reaches EOF::

    {"id": 7, "nonce": "...", "op": "call" | "call_method" | "get" | "release", "target": "module.attr",
     "handle": 3, "method": "__call__", "args": [...], "kwargs": {...}, "seed": 0}

and answers each with ``{"id", "nonce", "ok": true, "value": ...}`` or ``{"id", "nonce", "ok": false, "error":
{"kind": "student" | "request" | "internal", "type", "message", "traceback"}}``. Values use the codec's wire
format; objects that are not plain data stay in this process's handle table and travel as handles.

Student code runs in this same interpreter, so it can write to the reply fd or tamper with this module; the
grader therefore treats everything read from the pipe as untrusted (ids and nonces must match, every value is
validated while decoding).
"""

from __future__ import annotations

import argparse
import faulthandler
import importlib
import importlib.machinery
import importlib.util
import json
import os
import random
import reprlib
import sys
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any, BinaryIO

_THIS_FILE = os.path.abspath(__file__)
_RUNTIME_PACKAGE = "_autograder_sandbox_runtime"
_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 200


class RequestError(Exception):
    """The request itself is invalid (unknown handle, target outside the allowed modules, bad fields)."""


def load_runtime(name: str) -> ModuleType:
    """Import the runtime module ``name`` (``"codec"``, ``"output"``) from this file's folder.

    The folder becomes the package ``_autograder_sandbox_runtime`` (and nothing else is searched for it), so the
    runtime files' relative imports resolve to one another, never to the ``autograder`` package or student files.
    """
    if _RUNTIME_PACKAGE not in sys.modules:
        spec = importlib.machinery.ModuleSpec(_RUNTIME_PACKAGE, None, is_package=True)
        spec.submodule_search_locations = [os.path.dirname(_THIS_FILE)]
        package = importlib.util.module_from_spec(spec)
        sys.modules[_RUNTIME_PACKAGE] = package
    return importlib.import_module(f"{_RUNTIME_PACKAGE}.{name}")


def student_frames(tb: TracebackType | None) -> TracebackType | None:
    """Skip the leading traceback entries that belong to this file or to importlib's machinery."""
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if os.path.abspath(filename) != _THIS_FILE and not filename.startswith("<frozen importlib"):
            break
        tb = tb.tb_next
    return tb


def describe_exception(exc: BaseException, output: ModuleType) -> dict[str, str]:
    """The ``error`` record of a student exception: type name, message and trimmed traceback, each capped with the
    runtime's ``output`` module."""
    cap = output.cap
    type_name = type(exc).__qualname__
    if isinstance(exc, SystemExit):
        code = "" if exc.code is None else repr(exc.code)
        message = f"student code called sys.exit({code})"
    else:
        try:
            message = str(exc)
        except Exception:  # a student's __str__ may raise anything
            message = "<exception message could not be printed>"
    try:
        formatted = "".join(traceback.format_exception(type(exc), exc, student_frames(exc.__traceback__)))
    except Exception:  # formatting walks student objects
        formatted = f"{type_name}: {message}\n"
    return {
        "kind": "student",
        "type": cap(type_name, output.TYPE_NAME_BYTES),
        "message": cap(message, output.MESSAGE_BYTES),
        "traceback": cap(formatted, output.TRACEBACK_BYTES),
    }


def safe_repr(obj: object) -> str:
    """``repr(obj)`` cut to 200 characters, never raising."""
    try:
        return _REPR.repr(obj)[:200]
    except Exception:  # a student's __repr__ may raise anything
        return f"<{type(obj).__qualname__} object (repr failed)>"


@dataclass
class Worker:
    """State of the worker process: pipes, allowed modules and the handle table."""

    requests: BinaryIO
    reply_fd: int
    exchange_dir: Path
    modules: frozenset[str]
    codec: ModuleType
    output: ModuleType
    process_setup: ModuleType
    numpy: ModuleType
    torch: ModuleType | None
    cuda: bool
    handles: dict[int, object] = field(default_factory=dict)
    handle_ids: dict[int, int] = field(default_factory=dict)  # id(obj) -> handle id
    next_handle: int = 1

    # -- the loop ----------------------------------------------------------------------------------------------

    def serve(self) -> None:
        """Answer requests until the grader closes the request pipe."""
        while True:
            line = self.requests.readline()
            if not line:
                return
            try:
                request = json.loads(line)
            except ValueError:
                request = None
            if not isinstance(request, dict):
                self.send({"id": None, "nonce": None, "ok": False, "error": _error("request", "malformed request")})
                continue
            self.send(self.answer(request))

    def send(self, message: dict[str, Any]) -> None:
        """Write one JSON line to the reply pipe (all of it, however large)."""
        try:
            text = json.dumps(message, allow_nan=True, separators=(",", ":"))
        except (ValueError, TypeError, RecursionError) as exc:
            error = _error("internal", f"reply could not be serialised: {exc}")
            text = json.dumps({"id": message.get("id"), "nonce": message.get("nonce"), "ok": False, "error": error})
        view = memoryview((text + "\n").encode("utf-8", "surrogatepass"))
        while view:
            written = os.write(self.reply_fd, view)
            view = view[written:]

    def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        """Serve one request and build its reply."""
        header = {"id": request.get("id"), "nonce": request.get("nonce")}
        decoder = self.codec.Decoder(self.exchange(), on_handle=self.resolve)
        try:
            run = self.prepare(request, decoder)
        except Exception as exc:  # a request the worker cannot understand is refused, not fatal
            return {**header, "ok": False, "error": _error("request", f"{type(exc).__name__}: {exc}")}
        seed = request.get("seed")
        try:
            with warnings.catch_warnings():  # whatever filters student code sets are undone after the call
                self.reset_random_state(seed if isinstance(seed, int) and not isinstance(seed, bool) else None)
                value = run()
        except BaseException as exc:  # SystemExit and KeyboardInterrupt are the student's too
            return {**header, "ok": False, "error": describe_exception(exc, self.output)}
        finally:
            _flush_student_streams()
        return {**header, "ok": True, "value": self.encode(value)}

    # -- requests ----------------------------------------------------------------------------------------------

    def prepare(self, request: dict[str, Any], decoder: Any) -> Callable[[], Any]:
        """Validate a request and decode its arguments; return the thunk that runs the student code."""
        op = request.get("op")
        if op == "release":
            handle_id = _field(request, "handle", int)
            self.handles.pop(handle_id, None)
            self.handle_ids = {key: value for key, value in self.handle_ids.items() if value != handle_id}
            return lambda: None
        if op == "get":
            module, path = self.target(request)
            return lambda: _resolve_attribute(self.import_module(module), path)
        args = decoder.decode(_field(request, "args", list))
        kwargs = decoder.decode(_field(request, "kwargs", dict))
        if not isinstance(kwargs, dict) or not all(isinstance(key, str) for key in kwargs):
            raise RequestError("kwargs must map names to values")
        if op == "call":
            module, path = self.target(request)
            return lambda: _resolve_attribute(self.import_module(module), path)(*args, **kwargs)
        if op == "call_method":
            obj = self.lookup(_field(request, "handle", int))
            method = _field(request, "method", str)
            if not method.isidentifier():
                raise RequestError(f"bad method name {method!r}")
            return lambda: getattr(obj, method)(*args, **kwargs)
        raise RequestError(f"unknown op {op!r}")

    def target(self, request: dict[str, Any]) -> tuple[str, list[str]]:
        """Split ``"module.attr.sub"`` into an allowed module name and an attribute path."""
        target = _field(request, "target", str)
        parts = target.split(".")
        if len(parts) < 2 or not all(part.isidentifier() for part in parts):
            raise RequestError(f"target must look like 'module.attribute', got {target!r}")
        if parts[0] not in self.modules:
            raise RequestError(f"module {parts[0]!r} is not one of the allowed modules {sorted(self.modules)}")
        return parts[0], parts[1:]

    def import_module(self, name: str) -> ModuleType:
        """Import (first time) a student module from the working directory."""
        return importlib.import_module(name)

    def lookup(self, handle_id: int) -> object:
        """The object behind a handle id."""
        try:
            return self.handles[handle_id]
        except KeyError:
            raise RequestError(f"unknown handle #{handle_id}") from None

    def resolve(self, handle: Any) -> object:
        """Decoder hook: replace a handle argument by its object."""
        if handle.id not in self.handles:
            raise self.codec.CodecError(f"unknown handle #{handle.id}")
        return self.handles[handle.id]

    def keep(self, obj: object) -> Any:
        """Encoder hook: keep an object that is not plain data and return its handle."""
        handle_id = self.handle_ids.get(id(obj))
        if handle_id is None or self.handles.get(handle_id) is not obj:
            handle_id = self.next_handle
            self.next_handle += 1
            self.handles[handle_id] = obj
            self.handle_ids[id(obj)] = handle_id
        return self.codec.Handle(handle_id, self.codec.qualified_type_name(obj), safe_repr(obj))

    def encode(self, value: object) -> Any:
        """Encode a return value; if encoding trips over a misbehaving object, hand the whole value back as a handle."""
        encoder = self.codec.Encoder(self.exchange(), keep=self.keep)
        try:
            return encoder.encode(value)
        except Exception:  # student objects (dict subclasses, __len__ ...) may raise anything
            encoder.discard()
            return self.codec.handle_record(self.keep(value))

    def exchange(self) -> Any:
        return self.codec.Exchange(self.exchange_dir, "w", map_copy=True)  # large inputs mapped copy-on-write

    def reset_random_state(self, seed: int | None) -> None:
        """Seed every RNG a student may use and ask torch for deterministic algorithms (warnings only)."""
        if seed is not None:
            random.seed(seed)
            self.numpy.random.seed(seed % 2**32)
        torch = self.torch if self.torch is not None else sys.modules.get("torch")  # imported by the student
        if torch is not None:
            if seed is not None:
                torch.manual_seed(seed)
                if self.cuda:
                    torch.cuda.manual_seed_all(seed)
            self.process_setup.use_deterministic_algorithms(torch)


def _error(kind: str, message: str) -> dict[str, str]:
    return {"kind": kind, "type": "", "message": message, "traceback": ""}


def _field(request: dict[str, Any], key: str, kind: type) -> Any:
    value = request.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise RequestError(f"request field {key!r} must be {kind.__name__}")
    return value


def _resolve_attribute(obj: object, path: list[str]) -> Any:
    for name in path:
        obj = getattr(obj, name)
    return obj


def _flush_student_streams() -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            if stream is not None:
                stream.flush()
        except Exception:  # a student may have replaced or closed the streams
            pass


def main(argv: list[str] | None = None) -> int:
    """Entry point: set up the process, say hello, serve requests until EOF."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--request-fd", type=int, required=True)
    parser.add_argument("--reply-fd", type=int, required=True)
    parser.add_argument("--exchange", type=Path, required=True)
    parser.add_argument("--modules", default="")
    parser.add_argument("--parent-pid", type=int, required=True)
    parser.add_argument("--rlimits", default="")
    parser.add_argument("--preload", default="", help="libraries to import before the hello (comma-separated)")
    parser.add_argument("--drop-to", default="", help="uid:gid to switch to first (a sandbox started by root)")
    options = parser.parse_args(argv)

    process_setup = load_runtime("process_setup")
    if options.drop_to:  # first of all: nothing below runs as root
        uid, _, gid = options.drop_to.partition(":")
        process_setup.drop_privileges(int(uid), int(gid))
    if not load_runtime("seccomp").install():  # no_new_privs, no file leases, no user namespaces
        print("sandbox worker: no seccomp filter for this machine's architecture", file=sys.stderr)
    process_setup.die_with_parent(options.parent_pid)  # after the switch of uid, which clears it
    process_setup.set_rlimits(options.rlimits)
    faulthandler.enable(file=sys.stderr, all_threads=True)  # a segfault leaves a Python traceback in the output
    for fd in (options.request_fd, options.reply_fd):
        os.set_inheritable(fd, False)  # processes the student spawns do not get the protocol pipes

    codec, output = load_runtime("codec"), load_runtime("output")
    import numpy  # imported after the process is set up

    # the grader's choice of installed libraries (trusted code; WorkerSession checked the names)
    for name in filter(None, options.preload.split(",")):
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the student's own import of it will report the problem
            pass
    torch = sys.modules.get("torch")
    cuda = bool(torch is not None and torch.cuda.is_available()) and process_setup.start_cuda(torch)
    sys.path.insert(0, os.getcwd())  # only now: student files cannot shadow what the worker or a preload imports

    worker = Worker(
        requests=os.fdopen(options.request_fd, "rb"),
        reply_fd=options.reply_fd,
        exchange_dir=options.exchange,
        modules=frozenset(name for name in options.modules.split(",") if name),
        codec=codec,
        output=output,
        process_setup=process_setup,
        numpy=numpy,
        torch=torch,
        cuda=cuda,
    )
    worker.reset_random_state(0)
    worker.send(
        {
            "hello": True,
            "device": "cuda" if cuda else "cpu",
            "pid": os.getpid(),
            "python": sys.version.split()[0],
            "torch": None if torch is None else str(torch.__version__),
            "uid": os.getuid(),
            "parent_uid": process_setup.parent_uid(),
        }
    )
    worker.serve()
    _flush_student_streams()
    return 0


if __name__ == "__main__":
    # os._exit: neither student atexit handlers nor non-daemon student threads may keep the worker alive.
    os._exit(main())
