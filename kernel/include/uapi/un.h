/* AF_UNIX addresses: Linux's linux/un.h. */
#pragma once
#include "types.h"
#include "socket.h"

#define UNIX_PATH_MAX 108

struct sockaddr_un {
    sa_family_t sun_family;           /* AF_UNIX */
    char sun_path[UNIX_PATH_MAX];     /* a path, or "\0" and an abstract name */
};
