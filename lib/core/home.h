/* The state directory: $UL_HOME, or ~/.ul. Dataset cache, ledger and push
 * spool live there. */
#ifndef UL_CORE_HOME_H
#define UL_CORE_HOME_H

#include <jv.h>

/* The directory as a jv string, created (with its parents) on first use,
 * readable by its owner only; or an invalid jv with a message. */
jv ul_home(void);

/* ul_home() joined with a relative name: "ledger.db" -> "~/.ul/ledger.db".
 * Creates nothing below the state directory itself. */
jv ul_home_path(const char *name);

#endif
