/* One lock per device, so that two pipelines on one machine queue for it
 * instead of fighting over it: $UL_HOME/locks/<device>.lock ("cpu.lock",
 * "cuda0.lock"), held with flock(2). The kernel drops a flock when its
 * holder exits, however it dies (kill -9 included), so a lock is never left
 * behind. The holder writes its pid into the file, for a waiter to name.
 *
 *   if (ul_device_lock_try(&l, &err) == 0) { emit status pending; ul_device_lock_wait(&l, &err); }
 *
 * A lock is held by an open file description: a fork()ed child shares its
 * parent's (and so holds it too until both have closed it); exec drops it
 * (O_CLOEXEC). Two locks in one process on one device exclude each other. */
#ifndef UL_CORE_DEVICE_LOCK_H
#define UL_CORE_DEVICE_LOCK_H

#include <stdbool.h>
#include <sys/types.h>

#include <jv.h>

struct ul_device_lock {
	int fd;       /* the lock file, -1 when closed */
	bool held;
	pid_t holder; /* the process that holds it, as its file says, when try found it taken; 0 if not known */
	char device[32];
};

/* Opens (making it, and locks/, when missing) the lock file of device: a
 * name of letters, digits, '-' and '_' ("cpu", "cuda0"). Takes nothing.
 * 0, or -1 with a message in *err. */
int ul_device_lock_open(struct ul_device_lock *l, const char *device, jv *err);

/* Takes the lock if it is free: 1 taken (or already held), 0 held by
 * another (l->holder says who), -1 with a message. */
int ul_device_lock_try(struct ul_device_lock *l, jv *err);

/* Waits until the lock is taken: 0; 1 when a stop was asked for
 * (core/signals.h) before that, at once: the caller then exits as it would
 * have; -1 with a message. */
int ul_device_lock_wait(struct ul_device_lock *l, jv *err);

/* Lets the lock go and closes its file. */
void ul_device_lock_close(struct ul_device_lock *l);

#endif
