/* The version, and what this build was built with. */
#ifndef UL_CORE_VERSION_H
#define UL_CORE_VERSION_H

/* "0.1.0 (CUDA 13.0, cuDNN 9.13.0, cuBLAS)" or "0.1.0 (CPU only: ...)" */
const char *ul_version_string(void);

#endif
