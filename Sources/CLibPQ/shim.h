#ifndef PGFAST_CLIBPQ_SHIM_H
#define PGFAST_CLIBPQ_SHIM_H
// pkg-config puts libpq's include directory on the search path; without it,
// Debian and Homebrew keep the header under postgresql/.
#if __has_include(<libpq-fe.h>)
#include <libpq-fe.h>
#else
#include <postgresql/libpq-fe.h>
#endif
#endif
