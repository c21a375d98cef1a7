#ifndef CENSORSCOPE_SYSTEM_SHIMS_H
#define CENSORSCOPE_SYSTEM_SHIMS_H
// Linux calls that glibc declares only under _GNU_SOURCE, which Swift does not define.
int cs_enter_network_namespace(int fd);
// Drops every capability of the calling thread only (capset(2) is per-thread on Linux).
// Used to check what a command says when run without privileges.
int cs_drop_thread_capabilities(void);
// Names the calling thread (ps -L, top -H); the kernel keeps at most 15 bytes.
int cs_name_current_thread(const char *name);
// Returns freed heap memory to the kernel (malloc.h is not in the Glibc module).
int cs_malloc_trim(void);
#include <spawn.h>
// Closes every descriptor from `fd` up in the spawned child (posix_spawn_file_actions_addclosefrom_np).
int cs_spawn_close_from(posix_spawn_file_actions_t *actions, int fd);
#endif
