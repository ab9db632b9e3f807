/* Finding the data the tools read (share/ul/): the parameter schema, model
 * configs, the GPU table.
 *
 * In order: $UL_SHARE; share/ul beside the program's own folder (bin/../
 * share/ul), which holds both in the source tree and after `make install`;
 * and the folder the build was configured to install into. */
#ifndef UL_CORE_SHARE_H
#define UL_CORE_SHARE_H

#include <stddef.h>

#include <jv.h>

/* The path of name inside the data folder (a jv string) when it exists
 * there, or an invalid jv with a message naming where it was looked for. */
jv ul_share_path(const char *name);

/* The folder of the running program (its bin/) into dir: 0, or -1. The
 * CUDA plugin is looked for beside it too (nn/backend_open.h). */
int ul_program_dir(char *dir, size_t size);

#endif
