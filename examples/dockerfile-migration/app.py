"""Print the capability masks, then lock 64 MiB of memory.

The RLIMIT_MEMLOCK soft limit is lowered to 64 KiB first, so the lock
succeeds only with CAP_IPC_LOCK, whatever limit the host sets. Exits 0
when the lock succeeds and 1 when it fails.
"""
import ctypes
import mmap
import resource
import sys

with open("/proc/self/status") as status:
    for line in status:
        if line.startswith(("CapPrm:", "CapEff:")):
            print(line.strip())

limit, size = 64 * 1024, 64 * 1024 * 1024
hard = resource.getrlimit(resource.RLIMIT_MEMLOCK)[1]
resource.setrlimit(resource.RLIMIT_MEMLOCK, (limit, hard))
buffer = mmap.mmap(-1, size)
address = ctypes.addressof(ctypes.c_char.from_buffer(buffer))
libc = ctypes.CDLL("libc.so.6", use_errno=True)
libc.mlock.argtypes = (ctypes.c_void_p, ctypes.c_size_t)
if libc.mlock(address, size) != 0:
    print(f"mlock of {size} bytes failed: errno {ctypes.get_errno()}")
    sys.exit(1)
print(f"mlock of {size} bytes succeeded")
