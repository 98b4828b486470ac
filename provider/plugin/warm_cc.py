"""The compiled warm client: the launcher half of a warm launch in C, built at install time.

A warm launch spends most of its launcher time starting Python: `python -I -S` with the
`warm_client` source costs about 13-16 ms, this client about 1 ms (issue 13). `install`
compiles it with the machine's C compiler into the interpreter record's folder,
`<plugin dir>/.<prog>/v<version>.warm`, beside the record and outside the directory Terraform
hashes, so the launcher file stays the same bytes on every machine. The launcher runs it when
it is there and executable (`client PYTHON BOOTSTRAP ARGS...`); it speaks the same protocol
as `warm_client` (marshal frames, SCM_RIGHTS, SO_PEERCRED) and follows the same rules (the
magic cookie, `<PREFIX>_WARM`, the socket directory). Whenever it cannot serve the
launch warm before a child exists, it execs `PYTHON -I -S -c BOOTSTRAP ARGS...`: the Python
path, which tries once more, starts a fork server when none runs, or starts cold; when the
server itself answered "cold", the Python path is told not to try again (`<PREFIX>_WARM=0`).

Without a compiler (or when compiling fails) nothing is written and an old binary of that
version is removed: the launcher then runs the Python client, which is tested on its own.
The C text lives here as a string so that no package-data rule is needed to ship it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from provider.plugin import warm_client

__all__ = ["C_SOURCE", "client_path", "compile_client", "find_compiler"]

C_SOURCE = r"""
/* The warm client of the installed launcher; see provider/plugin/warm_cc.py. Built with
   -DPROG, -DPREFIX, -DVERSION, -DMODULE (C strings), -DDEFAULT_ON and -DPROTOCOL (ints). */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

extern char **environ;

static volatile pid_t child = -1;

static void forward(int signum) {
    if (child > 0) kill(child, signum);
}

/* ---------------------------------------------------------------- the cold path */

static int g_argc;
static char **g_argv;

/* exec PYTHON -I -S -c BOOTSTRAP ARGS... (the Python client, then the cold start). */
static void cold(void) {
    char **args = calloc((size_t)g_argc + 4, sizeof *args);
    if (args != NULL) {
        args[0] = g_argv[1];
        args[1] = "-I";
        args[2] = "-S";
        args[3] = "-c";
        args[4] = g_argv[2];
        for (int i = 3; i < g_argc; i++) args[i + 2] = g_argv[i];
        args[g_argc + 2] = NULL;
        execv(g_argv[1], args);
    }
    printf("%s %s: cannot run the Python at %s (%s)\n", PROG, VERSION, g_argv[1],
           strerror(errno));
    fflush(stdout);
    _exit(1);
}

/* ---------------------------------------------------------------- switches */

static int word_in(const char *raw, const char *const *words) {
    char low[16];
    while (*raw && isspace((unsigned char)*raw)) raw++;
    size_t n = strlen(raw);
    while (n && isspace((unsigned char)raw[n - 1])) n--;
    if (n >= sizeof low) return 0;
    for (size_t i = 0; i < n; i++) low[i] = (char)tolower((unsigned char)raw[i]);
    low[n] = 0;
    for (; *words; words++)
        if (strcmp(low, *words) == 0) return 1;
    return 0;
}

static const char *const TRUE_WORDS[] = {"1", "true", "yes", "on", NULL};

static int warm_enabled(void) {
    const char *cookie = getenv("TF_PLUGIN_MAGIC_COOKIE");
    if (cookie == NULL || *cookie == 0) return 0;
    const char *raw = getenv(PREFIX "_WARM");
    if (raw != NULL) return word_in(raw, TRUE_WORDS);
    /* CI too: only the idle period of a server differs there, set by the Python path. */
    return DEFAULT_ON;
}

/* ---------------------------------------------------------------- where the server is */

static int socket_path(char *out, size_t size, const char *python) {
    char dir[4096];
    const char *explicit = getenv(PREFIX "_WARM_DIR");
    const char *runtime = getenv("XDG_RUNTIME_DIR");
    if (explicit != NULL && *explicit) {
        if (explicit[0] != '/') return -1; /* relative: the Python client resolves it */
        if (snprintf(dir, sizeof dir, "%s", explicit) >= (int)sizeof dir) return -1;
    } else if (runtime != NULL && runtime[0] == '/') {
        if (snprintf(dir, sizeof dir, "%s/%s", runtime, PROG) >= (int)sizeof dir) return -1;
    } else {
        struct passwd *pw = getpwuid(getuid());
        if (pw == NULL || pw->pw_dir == NULL) return -1;
        if (snprintf(dir, sizeof dir, "%s/.cache/%s/warm", pw->pw_dir, PROG) >= (int)sizeof dir)
            return -1;
    }
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') dir[--n] = 0;
    struct stat st;
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
        (st.st_mode & 077))
        return -1;
    /* 64-bit FNV-1a of "<version>\0<python>", as warm_client.socket_name computes it. */
    uint64_t h = 0xcbf29ce484222325ULL;
    const char *v = VERSION;
    for (size_t i = 0; i <= strlen(v); i++) h = (h ^ (unsigned char)v[i]) * 0x100000001b3ULL;
    for (const char *p = python; *p; p++) h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
    if (snprintf(out, size, "%s/v%s-%016llx.sock", dir, VERSION, (unsigned long long)h) >=
        (int)size)
        return -1;
    return 0;
}

/* ------------------------------------------------ marshal, as Python 3 writes it */

struct buf {
    unsigned char *data;
    size_t len, cap;
};

static int put(struct buf *b, const void *p, size_t n) {
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 8192;
        while (cap < b->len + n) cap *= 2;
        unsigned char *d = realloc(b->data, cap);
        if (d == NULL) return -1;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

static int put_u32le(struct buf *b, uint32_t v) {
    unsigned char c[4] = {v & 255, (v >> 8) & 255, (v >> 16) & 255, (v >> 24) & 255};
    return put(b, c, 4);
}

static int put_bytes(struct buf *b, const char *s, size_t n) { /* bytes: the server decodes */
    return put(b, "s", 1) || put_u32le(b, (uint32_t)n) || put(b, s, n);
}

static int put_str(struct buf *b, const char *s) { return put_bytes(b, s, strlen(s)); }

static int put_int(struct buf *b, int32_t v) { return put(b, "i", 1) || put_u32le(b, (uint32_t)v); }

static int build_request(struct buf *b, const char *python) {
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd) == NULL) return -1;
    mode_t mask = umask(077);
    umask(mask);
    if (put(b, "{", 1) || put_str(b, "protocol") || put_int(b, PROTOCOL) || put_str(b, "op") ||
        put_str(b, "launch") || put_str(b, "version") || put_str(b, VERSION) ||
        put_str(b, "module") || put_str(b, MODULE) || put_str(b, "executable") ||
        put_str(b, python) || put_str(b, "cwd") || put_str(b, cwd) || put_str(b, "umask") ||
        put_int(b, (int32_t)mask) || put_str(b, "argv") || put(b, "[", 1) ||
        put_u32le(b, (uint32_t)(g_argc - 3)))
        return -1;
    for (int i = 3; i < g_argc; i++)
        if (put_str(b, g_argv[i])) return -1;
    if (put_str(b, "env") || put(b, "{", 1)) return -1;
    for (char **e = environ; *e; e++) {
        const char *eq = strchr(*e, '=');
        if (eq == NULL) continue;
        if (put_bytes(b, *e, (size_t)(eq - *e)) || put_str(b, eq + 1)) return -1;
    }
    return put(b, "00", 2); /* the end of env, then of the request */
}

/* The first int field of a reply such as {"pid": 5}, {"exit": 0}, {"signal": 9}; its name in
   `key`. Returns -1 for anything else ({"cold": "..."} included). */
static int parse_reply(const unsigned char *p, size_t n, char *key, size_t key_size,
                       int32_t *value) {
    size_t i = 0;
    if (n < 1 || (p[i++] & 0x7f) != '{') return -1;
    while (i < n) {
        unsigned t = p[i++] & 0x7f;
        size_t len;
        if (t == '0') return -1;
        if (t == 'z' || t == 'Z') {
            if (i + 1 > n) return -1;
            len = p[i++];
        } else if (t == 'a' || t == 'A' || t == 'u' || t == 't') {
            if (i + 4 > n) return -1;
            len = p[i] | p[i + 1] << 8 | p[i + 2] << 16 | (size_t)p[i + 3] << 24;
            i += 4;
        } else {
            return -1;
        }
        if (i + len > n || len + 1 > key_size) return -1;
        memcpy(key, p + i, len);
        key[len] = 0;
        i += len;
        if (i + 5 > n || (p[i] & 0x7f) != 'i') return -1;
        *value = (int32_t)(p[i + 1] | p[i + 2] << 8 | p[i + 3] << 16 | (uint32_t)p[i + 4] << 24);
        return 0;
    }
    return -1;
}

/* ---------------------------------------------------------------- the socket */

static int read_exactly(int fd, unsigned char *p, size_t n) {
    while (n) {
        ssize_t got = read(fd, p, n);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return -1;
        p += got;
        n -= (size_t)got;
    }
    return 0;
}

static int read_frame(int fd, unsigned char *p, size_t size, size_t *len) {
    unsigned char head[4];
    if (read_exactly(fd, head, 4)) return -1;
    *len = (size_t)head[0] << 24 | head[1] << 16 | head[2] << 8 | head[3];
    if (*len > size) return -1;
    return read_exactly(fd, p, *len);
}

static int send_request(int fd, struct buf *b) {
    unsigned char head[4] = {b->len >> 24 & 255, b->len >> 16 & 255, b->len >> 8 & 255,
                             b->len & 255};
    int fds[3] = {0, 1, 2};
    char control[CMSG_SPACE(sizeof fds)];
    memset(control, 0, sizeof control);
    struct iovec iov = {head, 4};
    struct msghdr msg = {0};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof fds);
    memcpy(CMSG_DATA(cmsg), fds, sizeof fds);
    ssize_t sent;
    do sent = sendmsg(fd, &msg, MSG_NOSIGNAL);
    while (sent < 0 && errno == EINTR);
    if (sent != 4) return -1;
    size_t off = 0;
    while (off < b->len) {
        ssize_t n = send(fd, b->data + off, b->len - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        off += (size_t)n;
    }
    return 0;
}

int main(int argc, char **argv) {
    g_argc = argc;
    g_argv = argv;
    if (argc < 3) {
        printf("%s %s: the warm client needs PYTHON and BOOTSTRAP\n", PROG, VERSION);
        return 1;
    }
    pid_t parent = getppid();
    char path[108];
    if (!warm_enabled() || socket_path(path, sizeof path, argv[1]) != 0) cold();
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr = {0};
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, path, strlen(path) + 1);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) cold();
    struct ucred cred;
    socklen_t cred_len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cred_len) != 0 || cred.uid != getuid())
        cold(); /* another user's server: send it nothing */
    struct buf request = {0};
    if (build_request(&request, argv[1]) || send_request(fd, &request)) cold();
    unsigned char reply[4096];
    size_t len;
    char key[32];
    int32_t value;
    struct pollfd pfd = {fd, POLLIN, 0};
    int ready;
    do ready = poll(&pfd, 1, 10000);
    while (ready < 0 && errno == EINTR);
    /* The socket is close-on-exec: the server sees end-of-file and forks nothing. */
    if (ready != 1 || read_frame(fd, reply, sizeof reply, &len)) cold();
    if (parse_reply(reply, len, key, sizeof key, &value) || strcmp(key, "pid") != 0) {
        /* The server answered, not with a pid ({"cold": reason} does not even parse as
           one: its value is text) because of stale files or a stop: start cold without asking
           again, as the Python client does. A second try would find no listener while a
           stale server hands over, and start a second server that races the successor for
           the lock. The variable reaches only this launch's cold provider, which ignores it. */
        setenv(PREFIX "_WARM", "0", 1);
        cold();
    }
    child = value;
    /* From here on the launch is the child's; never cold. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    int relayed[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
    for (size_t i = 0; i < sizeof relayed / sizeof *relayed; i++) sigaction(relayed[i], &sa, NULL);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        close(null);
    }
    for (;;) {
        ready = poll(&pfd, 1, 500);
        if (ready < 0 && errno == EINTR) continue;
        if (ready == 0) {
            /* Terraform is gone: exiting closes the socket, which stops the child. */
            if (getppid() != parent) _exit(1);
            continue;
        }
        if (ready < 0 || read_frame(fd, reply, sizeof reply, &len) ||
            parse_reply(reply, len, key, sizeof key, &value))
            _exit(1);
        if (strcmp(key, "signal") == 0) {
            signal(value, SIG_DFL);
            kill(getpid(), value);
            _exit(128 + value);
        }
        if (strcmp(key, "exit") == 0) _exit(value & 255);
        _exit(1);
    }
}
"""


def find_compiler() -> str | None:
    """The C compiler to use: `$CC` (its first word) when set, else `cc`, `gcc` or `clang` on
    PATH; None when there is none."""
    wanted = os.environ.get("CC", "").split()
    for name in (wanted[:1] or []) + ["cc", "gcc", "clang"]:
        found = shutil.which(name)
        if found:
            return found
    return None


def client_path(record: Path) -> Path:
    """Where the compiled client of the interpreter record `record` lives (beside it)."""
    return record.with_suffix(".warm")


def compile_client(
    dest: Path, prog: str, version: str, module: str, compiler: str | None = None
) -> bool:
    """Compile the client for `prog` `version` (`module`) into `dest` (atomically, mode
    0755); return True when it was built. Linux only (SO_PEERCRED, PR_SET_PDEATHSIG).

    Never raises for a missing or failing compiler: it removes any older `dest` (a binary
    that no longer matches must not run) and returns False, and the launcher uses the
    Python client.
    """
    compiler = compiler or find_compiler()
    built = False
    if compiler and os.uname().sysname == "Linux":
        dest.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="warm-cc-") as work:
            source = Path(work) / "warm_client.c"
            source.write_text(C_SOURCE)
            out = dest.with_name(f".{dest.name}.tmp{os.getpid()}")
            command = [
                compiler,
                "-O2",
                "-o",
                str(out),
                str(source),
                f"-DPROG={_c_string(prog)}",
                f"-DPREFIX={_c_string(warm_client.env_prefix(prog))}",
                f"-DVERSION={_c_string(version)}",
                f"-DMODULE={_c_string(module)}",
                f"-DDEFAULT_ON={int(warm_client.DEFAULT_ON)}",
                f"-DPROTOCOL={warm_client.PROTOCOL}",
            ]
            try:
                done = subprocess.run(
                    command, capture_output=True, timeout=120, check=False, cwd=work
                )
                if done.returncode == 0 and out.is_file():
                    out.chmod(0o755)
                    os.replace(out, dest)
                    built = True
            except (OSError, subprocess.SubprocessError):
                built = False
            finally:
                out.unlink(missing_ok=True)
    if not built:
        dest.unlink(missing_ok=True)
    return built


def _c_string(text: str) -> str:
    """`text` as a C string literal for a -D definition (no shell involved)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
