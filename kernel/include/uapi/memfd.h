/* memfd_create() flags: Linux's linux/memfd.h. */
#pragma once

#define MFD_CLOEXEC 0x0001U
#define MFD_ALLOW_SEALING 0x0002U
#define MFD_HUGETLB 0x0004U
