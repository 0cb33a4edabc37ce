/* cases.h: a unit test made of cases that may crash or hang, each run in
 * a child killed after limit_s (../badinput/child.h), one TAP line each
 * that tells how the child ended. */
#ifndef HK_TEST_CASES_H
#define HK_TEST_CASES_H

#include "test/tap.h"
#include "test/badinput/child.h"

struct hk_case {
	int (*fn)(void *);	/* 0: passed */
	const char *what;
};

static inline int hk_run_cases(const struct hk_case *cases, int n, unsigned limit_s)
{
	tap_plan(n);
	for (int i = 0; i < n; i++) {
		struct hk_child c;
		int r = hk_child(cases[i].fn, NULL, limit_s, &c);

		tap_ok(r == 0 && c.sig == 0 && c.code == 0, "%s (%s %d)", cases[i].what,
		       c.sig ? "killed by signal" : "exit", c.sig ? c.sig : c.code);
	}
	return tap_done();
}

#endif /* HK_TEST_CASES_H */
