#include "core/version.h"

/* Written by the Makefile from the CUDA probe; see mk/cuda-probe. */
#include "ul_config.h"

const char *ul_version_string(void)
{
	return UL_VERSION " (" UL_BUILD_FEATURES ")";
}
