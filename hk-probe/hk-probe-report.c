/* hk-probe-report.c: the readable report, one `key: value` per line.
 *
 *   Kernel:
 *     ok    release: 6.1.0-18-amd64 (syscall)
 *     warn  pool_2048kB: total=0 free=0 resv=0 surplus=0 overcommit=0
 *           hint: hugetlb pool empty: echo N > /proc/sys/vm/nr_hugepages
 *
 * The mark is the first word, the key the second (with its colon), so
 * `awk '$2 == "backend:" { print $3 }'` works; the format is documented
 * in hk-probe(1) and pinned by test/expected/. */
#include "hk-probe/hk-probe.h"

void hk_cli_print_text(FILE *out, const struct hk_report *r)
{
	int sect = -1;

	for (int i = 0; i < r->n; i++) {
		const struct hk_item *it = &r->items[i];

		if ((int)it->sect != sect) {
			sect = (int)it->sect;
			fprintf(out, "%s%s:\n", i ? "\n" : "", hk_cli_sect_name(it->sect));
		}
		fprintf(out, "  %-5s %s: %s", hk_cli_mark_name(it->mark), it->key, it->str);
		if (it->detail[0])
			fprintf(out, " (%s)", it->detail);
		fputc('\n', out);
		if (it->hint[0])
			fprintf(out, "        hint: %s\n", it->hint);
	}
}
