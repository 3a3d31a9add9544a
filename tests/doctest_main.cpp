// doctest's implementation and main(), compiled once for every integration and
// conformance binary instead of once per test file (8 s each at -O2).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
