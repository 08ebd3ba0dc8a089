// A C target needs one source file; the commit is a macro of include/BuildInfo.h.
#include "BuildInfo.h"
