"""Child side: the confinement a job's process puts itself in before it reads its job.

Called in the spare process the zygote forks (see ``forkserver.py``), in this order:
``private_namespaces`` (a new mount and IPC namespace with a fresh, size- and inode-capped tmpfs
on /tmp: nothing the job writes there, and no SysV/POSIX IPC object, outlives its last process),
``drop_capabilities`` (the zygote holds CAP_SYS_ADMIN in the sandbox's user namespace for the
step before; the job holds none), then the seccomp filter, and once the job is known
``apply_limits``. Standard library only.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import resource
import tempfile

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
MS_NOSUID = 2
MS_NODEV = 4
PR_SET_DUMPABLE = 4
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
LINUX_CAPABILITY_VERSION_3 = 0x20080522
SHM_BYTES = 64 * 1024 * 1024
SHM_INODES = 1024
_libc = ctypes.CDLL(None, use_errno=True)


class ConfinementError(OSError):
    """A confinement step failed: the job must not run."""


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise ConfinementError(code, f"{what}: {os.strerror(code)}")


def set_not_dumpable() -> None:
    """No /proc/<pid>/mem, environ, fd/ or ptrace of this process for anyone without
    CAP_SYS_PTRACE in its user namespace, even under the same uid (a job has no capability)."""
    _check(_libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "PR_SET_DUMPABLE")


def private_namespaces(tmp_bytes: int, tmp_inodes: int) -> None:
    """A mount and an IPC namespace of this process's own, with an empty tmpfs on /tmp."""
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWIPC), "unshare")
    _check(_libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate")
    options = f"size={int(tmp_bytes)},nr_inodes={int(tmp_inodes)},mode=0700".encode()
    _check(_libc.mount(b"tmpfs", b"/tmp", b"tmpfs", MS_NOSUID | MS_NODEV, options), "mount /tmp")
    # bubblewrap's /dev is read-only and shared by the slot; POSIX shared memory gets a small
    # tmpfs of the job's own.
    shm = f"size={min(int(tmp_bytes), SHM_BYTES)},nr_inodes={SHM_INODES},mode=0700".encode()
    _check(_libc.mount(b"tmpfs", b"/dev/shm", b"tmpfs", MS_NOSUID | MS_NODEV, shm), "mount shm")


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def drop_capabilities() -> None:
    """Empty effective, permitted, inheritable and ambient sets; checked, not assumed."""
    with contextlib.suppress(OSError):  # kernels without ambient capabilities have none
        _check(_libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "ambient")
    header = _CapHeader(LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(header), data), "capset")
    with open("/proc/self/status") as handle:
        status = handle.read()
    for name in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
        for line in status.splitlines():
            if line.startswith(name + ":") and int(line.split()[1], 16) != 0:
                raise ConfinementError(errno.EPERM, f"{name} is not empty after capset")


CLONE_NAMESPACE_FLAGS = (
    0x00020000,  # CLONE_NEWNS
    0x02000000,  # CLONE_NEWCGROUP
    0x04000000,  # CLONE_NEWUTS
    0x08000000,  # CLONE_NEWIPC
    0x10000000,  # CLONE_NEWUSER
    0x20000000,  # CLONE_NEWPID
    0x40000000,  # CLONE_NEWNET
)
DENIED_SYSCALLS = (
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "unshare",
    "setns",
    "bpf",
    "keyctl",
    "add_key",
    "request_key",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "reboot",
    "swapon",
    "swapoff",
    "perf_event_open",
    "userfaultfd",
    "open_by_handle_at",
    "name_to_handle_at",
    "iopl",
    "ioperm",
    "syslog",
    "acct",
    "settimeofday",
    "clock_settime",
    "adjtimex",
    "lookup_dcookie",
    "fanotify_init",
    "quotactl",
    "personality",
    "mount_setattr",
    "fsopen",
    "fsmount",
    "fsconfig",
    "move_mount",
    "open_tree",
    "pidfd_getfd",
    "process_madvise",
    "kcmp",
)


def load_seccomp():
    try:
        import seccomp
    except ImportError:
        try:
            import pyseccomp as seccomp
        except ImportError:
            return None
    return seccomp


# What the job's process itself needs once, before it runs any script: its own namespaces.
# The zygote's filter allows these two; each job's process denies them with a filter of its own
# (tiny, so attaching it per job is cheap) once its namespaces are set up.
JOB_SETUP_SYSCALLS = ("unshare", "mount")


def build_seccomp_filter(seccomp, names=None):
    """Deny ``names`` (default: DENIED_SYSCALLS but JOB_SETUP_SYSCALLS) and namespace flags of
    clone: syscalls a script never needs and that widen its reach (EPERM, not a kill).

    The zygote loads the big filter once (every job's process inherits it); each job's
    process stacks the small one (``names=JOB_SETUP_SYSCALLS``) after its set-up.
    """
    filt = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    deny = seccomp.ERRNO(errno.EPERM)
    if names is not None:
        for name in names:
            filt.add_rule(deny, name)
        return filt
    for name in (n for n in DENIED_SYSCALLS if n not in JOB_SETUP_SYSCALLS):
        with contextlib.suppress(Exception):  # unknown on this architecture / libseccomp
            filt.add_rule(deny, name)
    for flag in CLONE_NAMESPACE_FLAGS:
        filt.add_rule(deny, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    # clone3 passes its flags in memory, which seccomp cannot inspect: make libc fall back to
    # clone, whose flags are checked above.
    with contextlib.suppress(Exception):
        filt.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    return filt


def apply_limits(limits: dict) -> None:
    pairs = {
        "cpu_seconds": resource.RLIMIT_CPU,
        "memory_bytes": resource.RLIMIT_AS,
        "processes": resource.RLIMIT_NPROC,
        "file_bytes": resource.RLIMIT_FSIZE,
        "open_files": resource.RLIMIT_NOFILE,
    }
    for key, which in pairs.items():
        value = limits.get(key)
        if value:
            resource.setrlimit(which, (int(value), int(value)))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2


class CompiledFilter:
    """A seccomp filter compiled to BPF once; children install it with two prctl() calls.

    libseccomp's ``load()`` regenerates the BPF program on every call, which costs each job
    about half a millisecond of CPU; the program is the same for every job.
    """

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    def __init__(self, filt) -> None:
        with tempfile.TemporaryFile() as handle:
            filt.export_bpf(handle)
            handle.seek(0)
            program = handle.read()
        if not program or len(program) % 8:
            raise ValueError("unexpected BPF program size")
        self._buffer = ctypes.create_string_buffer(program, len(program))
        self._prog = self.SockFprog(len(program) // 8, ctypes.addressof(self._buffer))
        self._libc = ctypes.CDLL(None, use_errno=True)

    def load(self) -> None:
        if self._libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS failed")
        if self._libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(self._prog)) != 0:
            raise OSError(ctypes.get_errno(), "PR_SET_SECCOMP failed")
