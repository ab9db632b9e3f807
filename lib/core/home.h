/* The state directory: $UL_HOME, or ~/.ul. Dataset cache, ledger and push
 * spool live there. */
#ifndef UL_CORE_HOME_H
#define UL_CORE_HOME_H

#include <jv.h>

/* The directory as a jv string, or an invalid jv with a message. What is
 * missing of it (parents too) is created with mode 0700; a directory that
 * already exists is left as it is. */
jv ul_home(void);

/* ul_home() joined with a relative name: "ledger.db" -> "~/.ul/ledger.db".
 * Creates nothing below the state directory itself. */
jv ul_home_path(const char *name);

#endif
