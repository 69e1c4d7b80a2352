/* The one way every CUnit suite of meshgate registers its cases and runs: a table of named test
 * functions in, the process exit code out (0 when every assertion held, 1 otherwise, 2 when the
 * registry could not be set up). Suites that need EAL or other set-up do it before calling. */
#ifndef MG_CUNIT_H
#define MG_CUNIT_H

#include <stddef.h>

#include <CUnit/Basic.h>

struct mg_cunit_case {
	const char *name;
	CU_TestFunc fn;
};

/* init and cleanup (may be NULL) run before the first case and after the last. */
static inline int
mg_cunit_run_suite(const char *suite, CU_InitializeFunc init, CU_CleanupFunc cleanup,
		   const struct mg_cunit_case *cases, size_t n)
{
	unsigned int failures;
	CU_pSuite s;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite(suite, init, cleanup);
	for (size_t i = 0; s != NULL && i < n; i++)
		if (CU_add_test(s, cases[i].name, cases[i].fn) == NULL)
			s = NULL;
	if (s == NULL) {
		CU_cleanup_registry();
		return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failures ? 1 : 0;
}

static inline int
mg_cunit_run(const char *suite, const struct mg_cunit_case *cases, size_t n)
{
	return mg_cunit_run_suite(suite, NULL, NULL, cases, n);
}

#define MG_CUNIT_N(cases) (sizeof(cases) / sizeof((cases)[0]))
#define MG_CUNIT_RUN(suite, cases) mg_cunit_run((suite), (cases), MG_CUNIT_N(cases))

#endif /* MG_CUNIT_H */
