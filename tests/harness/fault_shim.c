/* A preload library (LD_PRELOAD) that makes chosen file system calls fail,
 * the way a full or failing disk makes them fail, for the storage-fault
 * tests (tests/integration/e2e_storage_faults_test.cpp, tests/unit/
 * atomic_file_fault_test.cpp). Read at every call, so a test process can arm
 * and disarm it with setenv():
 *
 *   SYNC_FAULT_CALL     rename | fsync | write: the call to fail (fsync covers
 *                       fdatasync too)
 *   SYNC_FAULT_PATH     only calls on a path containing this: rename's new
 *                       name; the file an fsync or write descriptor is open on
 *   SYNC_FAULT_NTH      the first matching call that fails (1 if unset); the
 *                       ones before it succeed
 *   SYNC_FAULT_TIMES    how many fail from there (0 or unset: every later one,
 *                       as a disk that stays full)
 *   SYNC_FAULT_ERRNO    ENOSPC (default), EIO, EDQUOT or EROFS
 *   SYNC_FAULT_PROCESS  only in threads with this name (prctl PR_GET_NAME):
 *                       "sync-worker" confines the faults to the worker
 *   SYNC_FAULT_LOG      a file that gets one line per failed call
 *   SYNC_FAULT_ARMED_BY only while this file exists (calls before do not
 *                       count): a test arms a fault in another process (the
 *                       worker) at the moment it chooses
 *
 * Counting is per process: each worker the supervisor forks starts at 0
 * (sync_fault_shim_reset() starts it again in this one). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static unsigned long g_matching_calls;

/* Whether this process's SYNC_FAULT_CALL names `call`. */
static int Armed(const char* call) {
  const char* chosen = getenv("SYNC_FAULT_CALL");
  if (!chosen || strcmp(chosen, call) != 0) return 0;
  const char* process = getenv("SYNC_FAULT_PROCESS");
  if (process && *process) {
    char name[17] = {0};
    if (prctl(PR_GET_NAME, name) != 0 || strcmp(name, process) != 0) return 0;
  }
  const char* arming_file = getenv("SYNC_FAULT_ARMED_BY");
  if (arming_file && *arming_file && access(arming_file, F_OK) != 0) return 0;
  return 1;
}

static int ChosenErrno(void) {
  const char* name = getenv("SYNC_FAULT_ERRNO");
  if (!name || strcmp(name, "ENOSPC") == 0) return ENOSPC;
  if (strcmp(name, "EIO") == 0) return EIO;
  if (strcmp(name, "EDQUOT") == 0) return EDQUOT;
  if (strcmp(name, "EROFS") == 0) return EROFS;
  return ENOSPC;
}

static ssize_t (*RealWrite(void))(int, const void*, size_t) {
  static ssize_t (*real)(int, const void*, size_t);
  if (!real) real = (ssize_t(*)(int, const void*, size_t))dlsym(RTLD_NEXT, "write");
  return real;
}

static void Note(const char* call, const char* path) {
  const char* log = getenv("SYNC_FAULT_LOG");
  if (!log || !*log) return;
  int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return;
  char line[4200];
  int n = snprintf(line, sizeof line, "%d %s %s\n", (int)getpid(), call, path);
  if (n > 0) RealWrite()(fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
  close(fd);
}

/* Whether this call on `path` is one to fail; counts the matching calls. */
static int ShouldFail(const char* call, const char* path) {
  const char* pattern = getenv("SYNC_FAULT_PATH");
  if (pattern && *pattern && (!path || !strstr(path, pattern))) return 0;
  unsigned long nth = strtoul(getenv("SYNC_FAULT_NTH") ? getenv("SYNC_FAULT_NTH") : "1", NULL, 10);
  unsigned long times = strtoul(getenv("SYNC_FAULT_TIMES") ? getenv("SYNC_FAULT_TIMES") : "0", NULL, 10);
  if (nth == 0) nth = 1;
  unsigned long call_number = __atomic_add_fetch(&g_matching_calls, 1, __ATOMIC_SEQ_CST);
  if (call_number < nth || (times > 0 && call_number >= nth + times)) return 0;
  Note(call, path ? path : "");
  return 1;
}

/* The file `fd` is open on, or "" when /proc does not say. */
static const char* PathOf(int fd, char* buf, size_t size) {
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, buf, size - 1);
  buf[n > 0 ? n : 0] = '\0';
  return buf;
}

int rename(const char* from, const char* to) {
  static int (*real)(const char*, const char*);
  if (!real) real = (int (*)(const char*, const char*))dlsym(RTLD_NEXT, "rename");
  if (Armed("rename") && ShouldFail("rename", to)) {
    errno = ChosenErrno();
    return -1;
  }
  return real(from, to);
}

/* fsync and fdatasync: the real `sync` unless this call is one to fail. */
static int Sync(int fd, int (*sync)(int)) {
  if (Armed("fsync")) {
    char path[4096];
    if (ShouldFail("fsync", PathOf(fd, path, sizeof path))) {
      errno = ChosenErrno();
      return -1;
    }
  }
  return sync(fd);
}

int fsync(int fd) {
  static int (*real)(int);
  if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
  return Sync(fd, real);
}

int fdatasync(int fd) {
  static int (*real)(int);
  if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
  return Sync(fd, real);
}

ssize_t write(int fd, const void* data, size_t size) {
  if (Armed("write")) {
    char path[4096];
    if (ShouldFail("write", PathOf(fd, path, sizeof path))) {
      errno = ChosenErrno();
      return -1;
    }
  }
  return RealWrite()(fd, data, size);
}

/* Lets a test see that the shim is loaded (dlsym(RTLD_DEFAULT, ...)), and
 * start counting matching calls afresh when it arms it again. */
int sync_fault_shim_loaded(void) { return 1; }
void sync_fault_shim_reset(void) { __atomic_store_n(&g_matching_calls, 0, __ATOMIC_SEQ_CST); }
