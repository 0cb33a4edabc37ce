/* hk-probe-facts.c: struct hk_caps + the choice + the options -> the
 * report items that both printers render.
 *
 * The judgement (ok/warn/skip) and the hints live here, once, so the text
 * report and --json always agree.  Keys are stable: scripts and
 * test/expected/ depend on them, and hk-probe(1) documents them. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "hk-probe/hk-probe.h"
#include "lib/options.h"
#include "probe/chunk.h"
#include "probe/readers.h"
#include "lib/os.h"

static struct hk_item *hk_item_add(struct hk_report *r, enum hk_sect s,
				   const char *key, enum hk_mark m)
{
	struct hk_item *it;

	if (r->n >= HK_ITEMS_MAX)	/* cannot happen: fixed item list */
		it = &r->items[HK_ITEMS_MAX - 1];
	else
		it = &r->items[r->n++];
	memset(it, 0, sizeof(*it));
	it->sect = s;
	it->mark = m;
	snprintf(it->key, sizeof(it->key), "%s", key);
	return it;
}

__attribute__((format(printf, 2, 3)))
static void hk_item_str(struct hk_item *it, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(it->str, sizeof(it->str), fmt, ap);
	va_end(ap);
	it->kind = HK_V_STR;
}

static void hk_item_int(struct hk_item *it, long long v)
{
	snprintf(it->str, sizeof(it->str), "%lld", v);
	it->kind = HK_V_INT;
	it->num = v;
}

static void hk_item_bool(struct hk_item *it, int v)
{
	snprintf(it->str, sizeof(it->str), "%s", v ? "yes" : "no");
	it->kind = HK_V_BOOL;
	it->num = !!v;
}

static void hk_item_null(struct hk_item *it, const char *text)
{
	snprintf(it->str, sizeof(it->str), "%s", text);
	it->kind = HK_V_NULL;
}

static void hk_item_detail(struct hk_item *it, const char *d)
{
	snprintf(it->detail, sizeof(it->detail), "%s", d);
}

/* How it was learned, when it was. */
static void hk_item_src(struct hk_item *it, enum hk_src src)
{
	if (src != HK_SRC_NONE)
		hk_item_detail(it, hk_src_name(src));
}

__attribute__((format(printf, 3, 4)))
static void hk_item_warn(struct hk_item *it, enum hk_mark m, const char *fmt, ...)
{
	va_list ap;

	it->mark = m;
	va_start(ap, fmt);
	vsnprintf(it->hint, sizeof(it->hint), fmt, ap);
	va_end(ap);
}

const char *hk_cli_errno_name(int err)
{
	static char buf[24];

	switch (err) {
	case EINVAL: return "EINVAL";
	case ENOMEM: return "ENOMEM";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case ENOSYS: return "ENOSYS";
	case EFAULT: return "EFAULT";
	case EAGAIN: return "EAGAIN";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EHWPOISON: return "EHWPOISON";
	}
	snprintf(buf, sizeof(buf), "errno %d", err);
	return buf;
}

/* A feature learned by trial: yes / no (errno) / not tried. */
static struct hk_item *hk_facts_trial(const struct hk_facts *f, struct hk_report *r,
				      enum hk_sect s, const char *key,
				      const struct hk_trial *t)
{
	struct hk_item *it = hk_item_add(r, s, key, HK_MARK_OK);

	switch (t->state) {
	case HK_FEAT_YES:
		hk_item_bool(it, 1);
		hk_item_detail(it, f->sysroot ? "recorded trial" : "trial");
		break;
	case HK_FEAT_NO:
		hk_item_bool(it, 0);
		/* errno 0: the call succeeded but did nothing (a flag the
		 * kernel does not know is ignored, not refused). */
		hk_item_detail(it, t->err ? hk_cli_errno_name(t->err) : "ignored by the kernel");
		it->mark = HK_MARK_INFO;
		break;
	default:
		hk_item_null(it, "not tried");
		hk_item_detail(it, f->sysroot ? "not in the tree's trials file" : "reader off");
		it->mark = HK_MARK_SKIP;
		break;
	}
	return it;
}

static void hk_facts_kernel(const struct hk_facts *f, struct hk_report *r)
{
	const struct hk_caps *c = &f->caps;
	struct hk_item *it;

	it = hk_item_add(r, HK_SECT_KERNEL, "release", HK_MARK_OK);
	if (c->release_src == HK_SRC_NONE) {
		hk_item_null(it, "unknown");
		it->mark = HK_MARK_SKIP;
	} else {
		hk_item_str(it, "%s", c->release);
		hk_item_src(it, c->release_src);
	}
	it = hk_item_add(r, HK_SECT_KERNEL, "version", HK_MARK_INFO);
	hk_item_str(it, "%d.%d.%d", c->kmajor, c->kminor, c->kpatch);
	if (c->kmajor == 0 && c->release_src != HK_SRC_NONE)
		hk_item_warn(it, HK_MARK_WARN, "release not parsed: features are still learned by trial");
	it = hk_item_add(r, HK_SECT_KERNEL, "machine", HK_MARK_INFO);
	hk_item_str(it, "%s", c->machine[0] ? c->machine : "unknown");
	it = hk_item_add(r, HK_SECT_KERNEL, "uname26", HK_MARK_INFO);
	hk_item_bool(it, c->uname26);
	if (c->uname26)
		hk_item_detail(it, "release reads 2.6.(60+minor)");
	it = hk_item_add(r, HK_SECT_KERNEL, "page_size", HK_MARK_INFO);
	hk_item_int(it, (long long)c->page_size);
	hk_item_src(it, c->page_size_src);
	it = hk_item_add(r, HK_SECT_KERNEL, "ncpu", HK_MARK_INFO);
	hk_item_int(it, c->ncpu);
	hk_item_src(it, c->ncpu_src);
}

static void hk_facts_memory(const struct hk_facts *f, struct hk_report *r)
{
	const struct hk_caps *c = &f->caps;
	struct hk_item *it;

	it = hk_facts_trial(f, r, HK_SECT_MEMORY, "populate_write", &c->populate_write);
	if (c->populate_write.state == HK_FEAT_NO)
		hk_item_warn(it, HK_MARK_WARN,
			     "kernel lacks MADV_POPULATE_WRITE (5.14+): touch fallback");
	hk_facts_trial(f, r, HK_SECT_MEMORY, "populate_read", &c->populate_read);
	it = hk_facts_trial(f, r, HK_SECT_MEMORY, "map_populate", &c->map_populate);
	if (c->map_populate.state == HK_FEAT_NO)
		hk_item_warn(it, HK_MARK_WARN, "MAP_POPULATE refused: prefault by touching");
	hk_facts_trial(f, r, HK_SECT_MEMORY, "madv_free", &c->madv_free);
	it = hk_facts_trial(f, r, HK_SECT_MEMORY, "fixed_noreplace", &c->fixed_noreplace);
	if (c->fixed_noreplace.state == HK_FEAT_NO)
		hk_item_warn(it, HK_MARK_WARN,
			     "kernel lacks MAP_FIXED_NOREPLACE (4.17+): placement checked by hand");
	it = hk_facts_trial(f, r, HK_SECT_MEMORY, "madv_hugepage", &c->madv_hugepage);
	if (c->madv_hugepage.state == HK_FEAT_NO)
		hk_item_warn(it, HK_MARK_WARN, "MADV_HUGEPAGE refused: no THP for hakmem");
}

static void hk_facts_thp(const struct hk_facts *f, struct hk_report *r)
{
	const struct hk_caps *c = &f->caps;
	struct hk_item *it;

	it = hk_item_add(r, HK_SECT_HUGE, "thp_enabled", HK_MARK_OK);
	hk_item_str(it, "%s", hk_thp_mode_name(c->thp_enabled));
	hk_item_src(it, c->thp_src);
	switch (c->thp_enabled) {
	case HK_THP_NEVER:
		hk_item_warn(it, HK_MARK_WARN, "THP never: echo madvise > "
			     "/sys/kernel/mm/transparent_hugepage/enabled (dense memory faults 3-4x cheaper)");
		break;
	case HK_THP_ABSENT:
		hk_item_warn(it, HK_MARK_WARN,
			     "no transparent_hugepage in sysfs: kernel built without THP");
		break;
	case HK_THP_UNKNOWN:
		hk_item_warn(it, HK_MARK_WARN, "THP mode not recognised: THP not used");
		break;
	default:
		break;
	}
	it = hk_item_add(r, HK_SECT_HUGE, "thp_defrag", HK_MARK_INFO);
	hk_item_str(it, "%s", hk_thp_defrag_name(c->thp_defrag));
	it = hk_item_add(r, HK_SECT_HUGE, "thp_pmd_size", HK_MARK_INFO);
	hk_item_int(it, (long long)c->thp_pmd_size);
	hk_item_src(it, c->thp_pmd_src);
}

/* The pool of the size the hugetlb backend maps is judged; the others
 * are shown as they are (probe/caps.h, HK_HUGETLB_KB). */
static void hk_facts_pool(struct hk_report *r, const struct hk_hugepool *p, bool ours)
{
	struct hk_item *it;
	char key[40];

	snprintf(key, sizeof(key), "pool_%llukB", (unsigned long long)p->size_kb);
	it = hk_item_add(r, HK_SECT_HUGE, key, HK_MARK_OK);
	it->kind = HK_V_FIELDS;
	it->nfields = 5;
	it->fields[0] = (struct hk_field){ "total", p->total };
	it->fields[1] = (struct hk_field){ "free", p->free };
	it->fields[2] = (struct hk_field){ "resv", p->resv };
	it->fields[3] = (struct hk_field){ "surplus", p->surplus };
	it->fields[4] = (struct hk_field){ "overcommit", p->overcommit };
	snprintf(it->str, sizeof(it->str), "total=%ld free=%ld resv=%ld surplus=%ld overcommit=%ld",
		 p->total, p->free, p->resv, p->surplus, p->overcommit);
	if (!ours) {
		it->mark = HK_MARK_INFO;
		if (p->free > p->resv)
			hk_item_warn(it, HK_MARK_INFO, "not used by hakmem: a page would pin %llu superslabs",
				     (unsigned long long)(p->size_kb / HK_HUGETLB_KB));
	} else if (p->total == 0 && p->overcommit == 0) {
		hk_item_warn(it, HK_MARK_WARN, "hugetlb pool empty: echo N > /proc/sys/vm/nr_hugepages");
	} else if (p->free - p->resv <= 0 && p->overcommit == 0) {
		hk_item_warn(it, HK_MARK_WARN,
			     "hugetlb pool exhausted: raise /proc/sys/vm/nr_hugepages");
	}
}

static bool hk_facts_pool_free(const struct hk_caps *c)
{
	const struct hk_hugepool *p = hk_hugepool_find(c, HK_HUGETLB_KB);

	return p && p->free > p->resv;
}

static void hk_facts_hugetlb(const struct hk_facts *f, struct hk_report *r)
{
	const struct hk_caps *c = &f->caps;
	struct hk_item *it;

	it = hk_item_add(r, HK_SECT_HUGE, "hugetlbfs", HK_MARK_INFO);
	hk_item_bool(it, c->hugetlbfs_registered);
	hk_item_src(it, c->hugetlb_src);
	it = hk_item_add(r, HK_SECT_HUGE, "hugetlbfs_mounts", HK_MARK_INFO);
	hk_item_int(it, c->hugetlbfs_mounts);
	it = hk_item_add(r, HK_SECT_HUGE, "huge_default_kb", HK_MARK_INFO);
	hk_item_int(it, (long long)c->huge_default_kb);
	if (c->npools == 0) {
		it = hk_item_add(r, HK_SECT_HUGE, "pools", HK_MARK_SKIP);
		hk_item_null(it, "none");
	}
	for (int i = 0; i < c->npools && i < HK_HUGEPOOLS_MAX; i++)
		hk_facts_pool(r, &c->pools[i], c->pools[i].size_kb == HK_HUGETLB_KB);
	it = hk_facts_trial(f, r, HK_SECT_HUGE, "map_hugetlb", &c->map_hugetlb);
	/* An empty pool already has its warning; a pool with free pages
	 * that still cannot be mapped deserves one. */
	if (c->map_hugetlb.state == HK_FEAT_NO && hk_facts_pool_free(c))
		hk_item_warn(it, HK_MARK_WARN, "free pool pages but MAP_HUGETLB fails: "
			     "check hugetlb_shm_group and cgroup hugetlb limits");
}

static void hk_facts_bytes(struct hk_report *r, const char *key, uint64_t v,
			   const char *none, enum hk_src src)
{
	struct hk_item *it = hk_item_add(r, HK_SECT_LIMITS, key, HK_MARK_INFO);

	if (v == UINT64_MAX)
		hk_item_null(it, none);
	else
		hk_item_int(it, (long long)v);
	hk_item_src(it, src);
}

static void hk_facts_limits(const struct hk_facts *f, struct hk_report *r)
{
	static const char *const modes[] = { "heuristic", "always", "never" };
	const struct hk_caps *c = &f->caps;
	struct hk_item *it;

	hk_facts_bytes(r, "memlock_cur", c->memlock_cur, "unlimited", c->memlock_src);
	hk_facts_bytes(r, "memlock_max", c->memlock_max, "unlimited", c->memlock_src);
	it = hk_item_add(r, HK_SECT_LIMITS, "overcommit", HK_MARK_INFO);
	if (c->overcommit < 0 || c->overcommit > 2) {
		hk_item_null(it, "unknown");
		it->mark = HK_MARK_SKIP;
	} else {
		hk_item_int(it, c->overcommit);
		hk_item_detail(it, modes[c->overcommit]);
		if (c->overcommit == 2)
			hk_item_warn(it, HK_MARK_WARN, "strict overcommit: every writable "
				     "mapping counts against CommitLimit");
	}
	it = hk_item_add(r, HK_SECT_LIMITS, "max_map_count", HK_MARK_INFO);
	if (c->max_map_count < 0) {
		hk_item_null(it, "unknown");
		it->mark = HK_MARK_SKIP;
	} else {
		hk_item_int(it, c->max_map_count);
		hk_item_src(it, c->vm_src);
		if (c->max_map_count < 65530)
			hk_item_warn(it, HK_MARK_WARN, "low vm.max_map_count: sysctl -w vm.max_map_count=65530");
	}
	hk_facts_bytes(r, "cgroup_memory_max", c->cgroup_mem_max, "max", c->cgroup_src);
	it = hk_item_add(r, HK_SECT_LIMITS, "cgroup_version", HK_MARK_INFO);
	hk_item_int(it, c->cgroup_version);
}

static void hk_facts_cap(struct hk_report *r, const struct hk_facts *f,
			 const char *key, int capget_v, bool capng_v)
{
	struct hk_item *it = hk_item_add(r, HK_SECT_CAPS, key, HK_MARK_INFO);

	if (!f->capng.used) {
		hk_item_bool(it, capget_v);
		hk_item_src(it, f->caps.caps_src);
		if (f->caps.caps_src == HK_SRC_NONE)
			it->mark = HK_MARK_SKIP;
		return;
	}
	hk_item_bool(it, capng_v);
	hk_item_detail(it, "libcap-ng");
	if (f->caps.caps_src != HK_SRC_NONE && capng_v != !!capget_v)
		hk_item_warn(it, HK_MARK_WARN, "the library's capget(2) says %s: please report",
			     capget_v ? "yes" : "no");
}

static void hk_facts_caps(const struct hk_facts *f, struct hk_report *r)
{
	struct hk_item *it;

	it = hk_item_add(r, HK_SECT_CAPS, "via", HK_MARK_INFO);
	hk_item_str(it, "%s", f->capng.used ? "libcap-ng" : f->sysroot ? "sysroot" : "capget");
	hk_facts_cap(r, f, "cap_ipc_lock", f->caps.cap_ipc_lock, f->capng.ipc_lock);
	hk_facts_cap(r, f, "cap_sys_admin", f->caps.cap_sys_admin, f->capng.sys_admin);
	it = hk_item_add(r, HK_SECT_CAPS, "at_secure", HK_MARK_INFO);
	hk_item_bool(it, f->caps.at_secure);
	if (f->caps.at_secure)
		hk_item_warn(it, HK_MARK_WARN, "setuid or file capabilities: HAKMEM_* variables ignored");
	/* About this process, not the tree: left out under --sysroot so the
	 * report of a fixture does not depend on who runs it. */
	if (f->capng.dropped && !f->sysroot) {
		it = hk_item_add(r, HK_SECT_CAPS, "hk_probe_kept", HK_MARK_INFO);
		hk_item_str(it, "%s", f->capng.kept[0] ? f->capng.kept : "none");
		hk_item_detail(it, "all other capabilities dropped");
	}
}

/* A path option prints whole in an item's value. */
_Static_assert(HK_OPT_PATH_MAX <= HK_REASON_MAX, "HAKMEM_STATS_FILE fits hk_item.str");

static void hk_facts_options(struct hk_report *r)
{
	const struct hk_options *o = hk_options();
	struct hk_item *it;
	char buf[HK_OPT_PATH_MAX];

	for (int i = 0; i < hk_option_count; i++) {
		int src = hk_option_value(i, buf, sizeof(buf));

		it = hk_item_add(r, HK_SECT_OPTIONS, hk_option_descs[i].name, HK_MARK_INFO);
		hk_item_str(it, "%s", buf);
		hk_item_detail(it, hk_option_source_name(src));
	}
	it = hk_item_add(r, HK_SECT_OPTIONS, "secure", HK_MARK_INFO);
	hk_item_bool(it, o->secure);
}

/* What auto does with dense memory when it chose lazy pages: the
 * policy's own words (probe/chunk.c). */
static void hk_facts_dense(const struct hk_facts *f, struct hk_report *r)
{
	char line[HK_REASON_MAX], detail[sizeof(r->items[0].detail)];
	struct hk_item *it;

	if (!hk_dense_describe(&f->caps, hk_options()->backend, &f->choice,
			       hk_options()->dense, line, sizeof(line), detail,
			       sizeof(detail)))
		return;
	it = hk_item_add(r, HK_SECT_DECISION, "dense", HK_MARK_INFO);
	hk_item_str(it, "%s", line);
	if (detail[0])
		hk_item_detail(it, detail);
}

static void hk_facts_decision(const struct hk_facts *f, struct hk_report *r)
{
	const struct hk_choice *ch = &f->choice;
	struct hk_item *it;

	it = hk_item_add(r, HK_SECT_DECISION, "backend", HK_MARK_OK);
	hk_item_str(it, "%s", hk_backend_name(ch->backend));
	hk_item_detail(it, hk_options()->backend == HK_BACKEND_AUTO ? "auto" : "HAKMEM_BACKEND");
	it = hk_item_add(r, HK_SECT_DECISION, "reason", HK_MARK_INFO);
	hk_item_str(it, "%s", ch->reason);
	hk_facts_dense(f, r);
	it = hk_item_add(r, HK_SECT_DECISION, "purge", HK_MARK_INFO);
	hk_item_str(it, "%s", ch->purge == HK_PURGE_FREE ? "madv_free" : "madv_dontneed");
	it = hk_item_add(r, HK_SECT_DECISION, "prefault", HK_MARK_INFO);
	hk_item_int(it, ch->prefault);
	it = hk_item_add(r, HK_SECT_DECISION, "small_pages", HK_MARK_INFO);
	hk_item_bool(it, ch->small_pages);
	if (ch->small_pages)
		hk_item_detail(it, "memory.max < 1 GiB: no THP");
	it = hk_item_add(r, HK_SECT_DECISION, "demote_chain", HK_MARK_INFO);
	for (enum hk_backend_id b = ch->backend, n;; b = n) {
		size_t len = strlen(it->str);

		snprintf(it->str + len, sizeof(it->str) - len, "%s%s", len ? " -> " : "",
			 hk_backend_name(b));
		n = hk_backend_demote(b);
		if (n == b || (unsigned)n >= HK_BACKEND_COUNT)
			break;
	}
	if (f->sysroot)
		return;
	it = hk_item_add(r, HK_SECT_DECISION, "library_agrees", HK_MARK_OK);
	hk_item_bool(it, f->lib_backend == ch->backend);
	if (f->lib_backend != ch->backend)
		hk_item_warn(it, HK_MARK_WARN, "the library chose %s: please report",
			     hk_backend_name(f->lib_backend));
	it = hk_item_add(r, HK_SECT_DECISION, "probe_us", HK_MARK_INFO);
	hk_item_int(it, (long long)(f->lib_probe_ns / 1000));
	hk_item_detail(it, "in the library, once per process");
}

void hk_cli_report_build(const struct hk_facts *f, struct hk_report *r)
{
	r->n = 0;
	hk_facts_kernel(f, r);
	hk_facts_memory(f, r);
	hk_facts_thp(f, r);
	hk_facts_hugetlb(f, r);
	hk_facts_limits(f, r);
	hk_facts_caps(f, r);
	hk_facts_options(r);
	hk_facts_decision(f, r);
}

const char *hk_cli_sect_name(enum hk_sect s)
{
	static const char *const names[HK_SECT_COUNT] = {
		"Kernel", "Memory features", "Huge pages", "Limits",
		"Capabilities", "Options", "Decision",
	};
	return (unsigned)s < HK_SECT_COUNT ? names[s] : "?";
}

const char *hk_cli_sect_key(enum hk_sect s)
{
	static const char *const keys[HK_SECT_COUNT] = {
		"kernel", "memory", "huge_pages", "limits",
		"capabilities", "options", "decision",
	};
	return (unsigned)s < HK_SECT_COUNT ? keys[s] : "?";
}

const char *hk_cli_mark_name(enum hk_mark m)
{
	static const char *const names[] = { "info", "ok", "warn", "skip" };
	return (unsigned)m < 4 ? names[m] : "?";
}
