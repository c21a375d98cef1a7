#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "CSystemShims.h"

int cs_enter_network_namespace(int fd) { return setns(fd, CLONE_NEWNET); }

int cs_drop_thread_capabilities(void) {
    struct __user_cap_header_struct header = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2] = {{0, 0, 0}, {0, 0, 0}};
    return (int)syscall(SYS_capset, &header, data);
}

int cs_name_current_thread(const char *name) {
    char cut[16];
    strncpy(cut, name, sizeof cut - 1);
    cut[sizeof cut - 1] = 0;
    return pthread_setname_np(pthread_self(), cut);
}

#include <malloc.h>

int cs_malloc_trim(void) {
    return malloc_trim(0);
}

int cs_spawn_close_from(posix_spawn_file_actions_t *actions, int fd) {
    return posix_spawn_file_actions_addclosefrom_np(actions, fd);
}
