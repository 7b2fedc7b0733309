/*
 * LD_PRELOAD library for crash_safety.sh and disk_full.sh: counts the
 * calls a process makes that change files, and at call number
 * $OCICAP_FAULT_AT makes that call fail. $OCICAP_FAULT selects how: "kill"
 * (the default) raises SIGKILL just before the call runs; an errno name
 * (ENOSPC, EIO, EROFS, EDQUOT) makes the call return -1 with that errno
 * instead of running. With OCICAP_FAULT_COUNT_FILE set, it writes the
 * number of calls made to that file at exit, so a test can first count
 * the calls of a whole run, then fail runs at points spread over it.
 * Apart from that count, $OCICAP_TERM_AT_COPY=N sends SIGTERM before the
 * Nth call of copy_file_range, which then runs: a signal that arrives
 * while members of an archive are being copied.
 *
 * Counted: write, pwrite, writev, fsync, fdatasync, ftruncate, rename,
 * renameat, renameat2, link, linkat, unlink, unlinkat, rmdir, mkdir,
 * mkdirat, symlink, fchmod, mkostemp, and open/openat calls that may
 * create a file. Writes to standard output and error are not counted.
 * Calls libc makes internally (not through the PLT) are not seen.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static long call_count;
static long fault_at = -1;
/* 0 for SIGKILL, else the errno the failing call returns. */
static int fault_errno;

/* Counts a call; returns nonzero when the call must fail with errno set. */
static int fault_now(void) {
    ++call_count;
    if (fault_at <= 0 || call_count != fault_at) {
        return 0;
    }
    if (fault_errno == 0) {
        raise(SIGKILL);
    }
    errno = fault_errno;
    return 1;
}

__attribute__((constructor)) static void read_settings(void) {
    const char *at = getenv("OCICAP_FAULT_AT");
    const char *fault = getenv("OCICAP_FAULT");
    if (at != NULL) {
        fault_at = atol(at);
    }
    if (fault == NULL || strcmp(fault, "kill") == 0) {
        fault_errno = 0;
    } else if (strcmp(fault, "ENOSPC") == 0) {
        fault_errno = ENOSPC;
    } else if (strcmp(fault, "EIO") == 0) {
        fault_errno = EIO;
    } else if (strcmp(fault, "EROFS") == 0) {
        fault_errno = EROFS;
    } else if (strcmp(fault, "EDQUOT") == 0) {
        fault_errno = EDQUOT;
    } else {
        fprintf(stderr, "fault_at_call: unknown OCICAP_FAULT %s\n", fault);
        abort();
    }
}

__attribute__((destructor)) static void write_count(void) {
    const char *path = getenv("OCICAP_FAULT_COUNT_FILE");
    if (path == NULL) {
        return;
    }
    FILE *file = fopen(path, "w");
    if (file != NULL) {
        fprintf(file, "%ld\n", call_count);
        fclose(file);
    }
}

static int creates_file(int flags) {
    return (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE;
}

#define NEXT(name) ((__typeof__(&name))dlsym(RTLD_NEXT, #name))

static long copy_count;

ssize_t copy_file_range(int in, off_t *in_offset, int out, off_t *out_offset,
                        size_t size, unsigned int flags) {
    static long term_at = -1;
    if (term_at < 0) {
        const char *at = getenv("OCICAP_TERM_AT_COPY");
        term_at = at != NULL ? atol(at) : 0;
    }
    if (term_at > 0 &&
        __atomic_add_fetch(&copy_count, 1, __ATOMIC_SEQ_CST) == term_at) {
        /* To the process: ocicap blocks the signal in every thread and
           takes it on one of its own, which a raise() would not reach. */
        kill(getpid(), SIGTERM);
    }
    return NEXT(copy_file_range)(in, in_offset, out, out_offset, size, flags);
}

ssize_t write(int fd, const void *buffer, size_t size) {
    if (fd > 2 && fault_now()) {
        return -1;
    }
    return NEXT(write)(fd, buffer, size);
}

ssize_t pwrite(int fd, const void *buffer, size_t size, off_t offset) {
    if (fault_now()) {
        return -1;
    }
    return NEXT(pwrite)(fd, buffer, size, offset);
}

ssize_t writev(int fd, const struct iovec *vector, int count) {
    if (fd > 2 && fault_now()) {
        return -1;
    }
    return NEXT(writev)(fd, vector, count);
}

int fsync(int fd) {
    if (fault_now()) {
        return -1;
    }
    return NEXT(fsync)(fd);
}

int fdatasync(int fd) {
    if (fault_now()) {
        return -1;
    }
    return NEXT(fdatasync)(fd);
}

int ftruncate(int fd, off_t length) {
    if (fault_now()) {
        return -1;
    }
    return NEXT(ftruncate)(fd, length);
}

int rename(const char *old_path, const char *new_path) {
    if (fault_now()) {
        return -1;
    }
    return NEXT(rename)(old_path, new_path);
}

int renameat(int old_dir, const char *old_path, int new_dir,
             const char *new_path) {
    if (fault_now()) {
        return -1;
    }
    return NEXT(renameat)(old_dir, old_path, new_dir, new_path);
}

int renameat2(int old_dir, const char *old_path, int new_dir,
              const char *new_path, unsigned int flags) {
    if (fault_now()) {
        return -1;
    }
    return NEXT(renameat2)(old_dir, old_path, new_dir, new_path, flags);
}

int link(const char *target, const char *path) {
    if (fault_now()) {
        return -1;
    }
    return NEXT(link)(target, path);
}

int linkat(int target_dir, const char *target, int dir, const char *path,
           int flags) {
    if (fault_now()) {
        return -1;
    }
    return NEXT(linkat)(target_dir, target, dir, path, flags);
}

int unlink(const char *path) {
    if (fault_now()) {
        return -1;
    }
    return NEXT(unlink)(path);
}

int unlinkat(int dir, const char *path, int flags) {
    if (fault_now()) {
        return -1;
    }
    return NEXT(unlinkat)(dir, path, flags);
}

int rmdir(const char *path) {
    if (fault_now()) {
        return -1;
    }
    return NEXT(rmdir)(path);
}

int mkdir(const char *path, mode_t mode) {
    if (fault_now()) {
        return -1;
    }
    return NEXT(mkdir)(path, mode);
}

int mkdirat(int dir, const char *path, mode_t mode) {
    if (fault_now()) {
        return -1;
    }
    return NEXT(mkdirat)(dir, path, mode);
}

int symlink(const char *target, const char *path) {
    if (fault_now()) {
        return -1;
    }
    return NEXT(symlink)(target, path);
}

int fchmod(int fd, mode_t mode) {
    if (fault_now()) {
        return -1;
    }
    return NEXT(fchmod)(fd, mode);
}

int mkostemp(char *template_path, int flags) {
    if (fault_now()) {
        return -1;
    }
    return NEXT(mkostemp)(template_path, flags);
}

int open(const char *path, int flags, ...) {
    mode_t mode = 0;
    if (creates_file(flags)) {
        va_list arguments;
        va_start(arguments, flags);
        mode = va_arg(arguments, mode_t);
        va_end(arguments);
        if (fault_now()) {
            return -1;
        }
    }
    return NEXT(open)(path, flags, mode);
}

int openat(int dir, const char *path, int flags, ...) {
    mode_t mode = 0;
    if (creates_file(flags)) {
        va_list arguments;
        va_start(arguments, flags);
        mode = va_arg(arguments, mode_t);
        va_end(arguments);
        if (fault_now()) {
            return -1;
        }
    }
    return NEXT(openat)(dir, path, flags, mode);
}
