/* kconst.h: kernel constants that old headers may lack.
 *
 * A build made against old headers must still use a feature when the
 * running kernel has it ("mixed kernels"), so where configure found no
 * declaration (HAVE_DECL_X is 0) we supply the kernel's value; the run-time
 * trial in probe/madv.c then decides whether it works.  The values are the
 * generic/x86 ones from include/uapi/asm-generic/mman*.h.  When configure
 * was told a declaration is missing (ac_cv_have_decl_X=no) any value the
 * headers bring is replaced, so that path is really exercised.
 */
#ifndef HK_KCONST_H
#define HK_KCONST_H

#include <sys/mman.h>

#if !HAVE_DECL_MADV_POPULATE_READ
#undef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22		/* Linux 5.14 */
#endif
#if !HAVE_DECL_MADV_POPULATE_WRITE
#undef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23		/* Linux 5.14 */
#endif
#if !HAVE_DECL_MADV_FREE
#undef MADV_FREE
#define MADV_FREE 8			/* Linux 4.5 */
#endif
#if !HAVE_DECL_MADV_HUGEPAGE
#undef MADV_HUGEPAGE
#define MADV_HUGEPAGE 14		/* Linux 2.6.38 */
#endif
#if !HAVE_DECL_MADV_NOHUGEPAGE
#undef MADV_NOHUGEPAGE
#define MADV_NOHUGEPAGE 15		/* Linux 2.6.38 */
#endif
#if !HAVE_DECL_MAP_POPULATE
#undef MAP_POPULATE
#define MAP_POPULATE 0x08000		/* Linux 2.5.46 */
#endif
#if !HAVE_DECL_MAP_HUGETLB
#undef MAP_HUGETLB
#define MAP_HUGETLB 0x40000		/* Linux 2.6.32; x86 and generic value */
#endif
#if !HAVE_DECL_MAP_HUGE_SHIFT
#undef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26		/* Linux 3.8 */
#endif
#if !HAVE_DECL_MAP_FIXED_NOREPLACE
#undef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000	/* Linux 4.17; older kernels take it as a hint */
#endif
#ifndef MADV_KEEPONFORK
#define MADV_KEEPONFORK 19		/* Linux 4.14 */
#endif
#ifndef MADV_DOFORK
#define MADV_DOFORK 11			/* Linux 2.6.16 */
#endif

#endif /* HK_KCONST_H */
