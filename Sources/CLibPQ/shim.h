#ifndef PGFAST_CLIBPQ_SHIM_H
#define PGFAST_CLIBPQ_SHIM_H
// pkg-config puts libpq's include directory on the search path; without it,
// Debian and Homebrew keep the header under postgresql/.
#if __has_include(<libpq-fe.h>)
#include <libpq-fe.h>
#else
#include <postgresql/libpq-fe.h>
#endif
// epoll, for the socket reactor that awaits libpq's sockets (Glibc's Swift
// module does not export it).
#if defined(__linux__)
#include <sys/epoll.h>
#endif
#endif
