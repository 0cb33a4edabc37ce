/* probe-fixture.h: the path of a fixture tree for the probe tests.
 * make check exports top_srcdir; run by hand, the tests look in ".". */
#ifndef HK_PROBE_FIXTURE_H
#define HK_PROBE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe/caps.h"

static inline const char *fixture(const char *machine)
{
	static char path[4096];
	const char *top = getenv("top_srcdir");

	snprintf(path, sizeof(path), "%s/test/fixtures/%s", top ? top : ".", machine);
	return path;
}

/* Probes a fixture with every fact read. */
static inline void probe_fixture(struct hk_caps *c, const char *machine)
{
	hk_probe(c, fixture(machine), HK_PROBE_DETAILS);
}

#endif /* HK_PROBE_FIXTURE_H */
