"""The worker's seccomp filter: the few system calls student code may not make, whatever its isolation level.

Loaded inside the untrusted worker as part of its runtime (see ``worker.py``): standard library only. The worker
installs the filter before any student code runs (:func:`install`), after ``PR_SET_NO_NEW_PRIVS``; every process and
thread the student starts inherits it, and nothing can remove it.

What it refuses, and why:

* ``fcntl(fd, F_SETLEASE, ...)`` fails with ``EPERM``. A lease makes every other process's ``open()`` of that file
  wait up to ``/proc/sys/fs/lease-break-time`` (45 s) for the holder: student code that owns files the judge opens
  (the Python installation, where a sandbox ran as the installation's owner) could stall the judge for hours.
* ``unshare`` and ``clone`` with ``CLONE_NEWUSER`` fail with ``EPERM``, and ``clone3`` (whose flags a filter cannot
  read) with ``ENOSYS``, so that the C library falls back to ``clone``: student code gets no capabilities, not even
  in a user namespace of its own (bubblewrap's ``--disable-userns`` does this only with a user namespace).
* a system call of another ABI (i386 or x32 on x86_64, arm32 on aarch64) kills the process: the filter is written
  for the native ABI only, and another would bypass it.

Why a hand-written program rather than libseccomp: the filter is sixteen instructions, the worker must load it with
the standard library alone (its runtime imports nothing else), and libseccomp's Python bindings come only with a
distribution's own Python (Debian's ``python3-seccomp``), not with a virtual environment's. The kernel validates
the program when it is installed, and ``tests/test_isolation.py`` checks each rule from inside a worker.
"""

from __future__ import annotations

import ctypes
import errno
import platform
import struct

__all__ = ["ARCHITECTURES", "install", "program"]

# <linux/filter.h> classic BPF opcodes and <linux/seccomp.h> return values
_LD_ABS_W = 0x20  # BPF_LD | BPF_W | BPF_ABS: A = the 32-bit word at offset k of struct seccomp_data
_JEQ = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_JGE = 0x35  # BPF_JMP | BPF_JGE | BPF_K
_JSET = 0x45  # BPF_JMP | BPF_JSET | BPF_K
_RET = 0x06  # BPF_RET | BPF_K
_ALLOW = 0x7FFF0000
_KILL_PROCESS = 0x80000000
_ERRNO = 0x00050000
# struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6] (little-endian: low word first)
_NR, _ARCH = 0, 4


def _arg(index: int) -> int:
    return 16 + 8 * index


_F_SETLEASE = 1024
_CLONE_NEWUSER = 0x10000000


ARCHITECTURES = {
    # machine: (AUDIT_ARCH_*, first number of a foreign ABI sharing the arch value or None, system call numbers)
    "x86_64": (0xC000003E, 0x40000000, {"fcntl": 72, "clone": 56, "unshare": 272, "clone3": 435}),
    "aarch64": (0xC00000B7, None, {"fcntl": 25, "clone": 220, "unshare": 97, "clone3": 435}),
}
"""The machines the filter is written for (``platform.machine()``); elsewhere the worker runs without it."""


def program(machine: str | None = None) -> bytes | None:
    """The filter as ``struct sock_filter`` records for ``machine`` (default: this one); ``None`` if unsupported."""
    entry = ARCHITECTURES.get(machine or platform.machine())
    if entry is None:
        return None
    arch, foreign_from, calls = entry
    refuse, no_such_call = _ERRNO | errno.EPERM, _ERRNO | errno.ENOSYS
    # (label, opcode, true target, false target, k); targets are labels, "" is the next instruction
    code: list[tuple[str, int, str, str, int]] = [
        ("", _LD_ABS_W, "", "", _ARCH),
        ("", _JEQ, "", "kill", arch),
        ("", _LD_ABS_W, "", "", _NR),
    ]
    if foreign_from is not None:  # x32 reuses x86_64's arch value with numbers from 0x40000000 up
        code.append(("", _JGE, "kill", "", foreign_from))
    code += [
        ("", _JEQ, "fcntl", "", calls["fcntl"]),
        ("", _JEQ, "flags", "", calls["unshare"]),
        ("", _JEQ, "flags", "", calls["clone"]),
        ("", _JEQ, "enosys", "allow", calls["clone3"]),
        ("fcntl", _LD_ABS_W, "", "", _arg(1)),  # the command (an int: the kernel reads the low word only)
        ("", _JEQ, "eperm", "allow", _F_SETLEASE),
        ("flags", _LD_ABS_W, "", "", _arg(0)),  # unshare's and clone's flags
        ("", _JSET, "eperm", "allow", _CLONE_NEWUSER),
        ("allow", _RET, "", "", _ALLOW),
        ("eperm", _RET, "", "", refuse),
        ("enosys", _RET, "", "", no_such_call),
        ("kill", _RET, "", "", _KILL_PROCESS),
    ]
    labels = {label: index for index, (label, *_) in enumerate(code) if label}

    def jump(index: int, target: str) -> int:
        return 0 if not target else labels[target] - index - 1

    return b"".join(struct.pack("=HBBI", opcode, jump(i, true), jump(i, false), k)
                    for i, (_, opcode, true, false, k) in enumerate(code))


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2


def install() -> bool:
    """Set ``no_new_privs`` and install the filter on this thread (call it before any other thread starts: threads
    started later inherit it). Whether a filter was installed (``False`` on a machine it is not written for);
    raises ``OSError`` if the kernel refuses it."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    code = program()
    if code is None:
        return False
    buffer = ctypes.create_string_buffer(code, len(code))
    fprog = _Program(len(code) // 8, ctypes.addressof(buffer))
    if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")
    return True
