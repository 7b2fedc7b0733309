/*
 * capcheck: print the capability masks of the running process and,
 * with --need NAME, check that one capability is effective.
 *
 * It reads the CapPrm: and CapEff: lines of /proc/self/status, which
 * the kernel prints as 64-bit hexadecimal masks (bit N is capability
 * number N from <linux/capability.h>). It is built static so that it
 * runs in an image that has no libc.
 *
 * Usage: capcheck [--need NAME]
 *   NAME is a capability name with or without the "cap_" prefix, in
 *   any case (ipc_lock, CAP_NET_RAW), or a decimal bit number (14).
 * Exit status: 0 if no --need was given or the capability is in CapEff,
 * 1 if it is not, 2 on a usage error or when /proc is not mounted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Capability names in bit order, as in <linux/capability.h> (Linux 5.9). */
static const char *const capability_names[] = {
    "chown",           "dac_override",     "dac_read_search",
    "fowner",          "fsetid",           "kill",
    "setgid",          "setuid",           "setpcap",
    "linux_immutable", "net_bind_service", "net_broadcast",
    "net_admin",       "net_raw",          "ipc_lock",
    "ipc_owner",       "sys_module",       "sys_rawio",
    "sys_chroot",      "sys_ptrace",       "sys_pacct",
    "sys_admin",       "sys_boot",         "sys_nice",
    "sys_resource",    "sys_time",         "sys_tty_config",
    "mknod",           "lease",            "audit_write",
    "audit_control",   "setfcap",          "mac_override",
    "mac_admin",       "syslog",           "wake_alarm",
    "block_suspend",   "audit_read",       "perfmon",
    "bpf",             "checkpoint_restore",
};

enum { CAPABILITY_COUNT = sizeof capability_names / sizeof *capability_names };

/* Returns the bit number of NAME, or -1 if NAME is not a capability. */
static int parse_capability(const char *name)
{
    char *end;
    long number = strtol(name, &end, 10);
    if (*name != '\0' && *end == '\0')
        return number >= 0 && number < 64 ? (int)number : -1;

    if (strncasecmp(name, "cap_", 4) == 0)
        name += 4;
    for (int bit = 0; bit < CAPABILITY_COUNT; bit++)
        if (strcasecmp(name, capability_names[bit]) == 0)
            return bit;
    return -1;
}

int main(int argc, char **argv)
{
    int needed_bit = -1;

    if (argc == 3 && strcmp(argv[1], "--need") == 0) {
        needed_bit = parse_capability(argv[2]);
        if (needed_bit < 0) {
            fprintf(stderr, "capcheck: unknown capability: %s\n", argv[2]);
            return 2;
        }
    } else if (argc != 1) {
        fprintf(stderr, "usage: capcheck [--need NAME]\n");
        return 2;
    }

    FILE *status = fopen("/proc/self/status", "r");
    if (status == NULL) {
        perror("capcheck: /proc/self/status");
        return 2;
    }

    char line[256];
    unsigned long long effective = 0;
    int found_effective = 0;
    while (fgets(line, sizeof line, status) != NULL) {
        if (strncmp(line, "CapPrm:", 7) == 0) {
            fputs(line, stdout);
        } else if (strncmp(line, "CapEff:", 7) == 0) {
            fputs(line, stdout);
            effective = strtoull(line + 7, NULL, 16);
            found_effective = 1;
        }
    }
    fclose(status);

    if (!found_effective) {
        fprintf(stderr, "capcheck: no CapEff line in /proc/self/status\n");
        return 2;
    }
    if (needed_bit < 0)
        return 0;
    return (effective >> needed_bit) & 1 ? 0 : 1;
}
