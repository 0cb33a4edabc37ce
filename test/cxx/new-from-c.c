/* new-from-c.c: a C program, without libstdc++, calling libhakmem.so's
 * operator new and delete by their mangled names (test/cxx/cxx.sh runs
 * it preloaded).  There is no std::get_new_handler nor
 * std::__throw_bad_alloc in the process: the library's weak references
 * to them stay NULL, new and delete work, nothrow new returns NULL when
 * out of memory, and a failing throwing new aborts with hakmem's
 * message (in a child) rather than jump to address 0.
 * "new-from-c dlopen" loads libstdc++ after hakmem, as a C program
 * loading a C++ plugin does: then a failing new calls the new_handler
 * libstdc++ holds, in a loop, and throws std::bad_alloc (uncaught here:
 * std::terminate says so), found in libstdc++ when new fails.
 */
#include <dlfcn.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "test/tap.h"
#include "test/badinput/child.h"

static void *(*op_new)(size_t);
static void *(*op_new_nothrow)(size_t, const void *);
static void (*op_delete_sized)(void *, size_t);

static int fail_child(void *arg)
{
	(void)arg;
	op_new(SIZE_MAX / 2);
	return 0;
}

static void *(*set_new_handler)(void (*)(void));
static int handler_calls;

static void handler(void)
{
	if (++handler_calls == 3)
		_exit(3);
}

static int handler_child(void *arg)
{
	(void)arg;
	set_new_handler(handler);
	op_new(SIZE_MAX / 2);
	return 0;
}

static int late_libstdcxx(void)
{
	struct hk_child c;

	if (!dlopen("libstdc++.so.6", RTLD_NOW | RTLD_LOCAL))
		tap_skip_all("no libstdc++.so.6 to load: %s", dlerror());
	*(void **)&set_new_handler = dlsym(RTLD_DEFAULT, "_ZSt15set_new_handlerPFvvE");
	if (!set_new_handler) {
		void *h = dlopen("libstdc++.so.6", RTLD_NOW | RTLD_NOLOAD);

		*(void **)&set_new_handler = h ? dlsym(h, "_ZSt15set_new_handlerPFvvE") : NULL;
	}
	tap_plan(2);
	if (!set_new_handler || hk_child(handler_child, NULL, 30, &c))
		tap_ok(0, "std::set_new_handler found, fork");
	else
		tap_ok(c.sig == 0 && c.code == 3,
		       "libstdc++ loaded late: its new_handler called in a loop (exit %d, signal %d, \"%s\")",
		       c.code, c.sig, c.line);
	if (hk_child(fail_child, NULL, 30, &c))
		tap_ok(0, "fork");
	else
		tap_ok(c.sig == SIGABRT && strstr(c.line, "std::bad_alloc") &&
		       !strstr(c.line, "hakmem:"),
		       "libstdc++ loaded late: std::bad_alloc thrown (signal %d, \"%s\")",
		       c.sig, c.line);
	return tap_done();
}

int main(int argc, char **argv)
{
	struct hk_child c;
	Dl_info info;
	char nt = 0;	/* stands for std::nothrow, an empty object */
	void *p;

	*(void **)&op_new = dlsym(RTLD_DEFAULT, "_Znwm");
	*(void **)&op_new_nothrow = dlsym(RTLD_DEFAULT, "_ZnwmRKSt9nothrow_t");
	*(void **)&op_delete_sized = dlsym(RTLD_DEFAULT, "_ZdlPvm");
	if (!op_new || !op_new_nothrow || !op_delete_sized)
		tap_skip_all("no operator new in this process (not preloaded)");
	if (argc > 1 && !strcmp(argv[1], "dlopen"))
		return late_libstdcxx();
	tap_plan(5);
	tap_ok(dladdr(*(void **)&op_new, &info) && info.dli_fname &&
	       strstr(info.dli_fname, "libhakmem"), "operator new is libhakmem's");
	tap_ok(!dlsym(RTLD_DEFAULT, "_ZSt17__throw_bad_allocv"), "no libstdc++ here");
	p = op_new(100);
	tap_ok(p && memset(p, 1, 100), "operator new(100) works");
	op_delete_sized(p, 100);
	tap_ok(op_new_nothrow(SIZE_MAX / 2, &nt) == NULL, "nothrow new: NULL when out of memory");
	if (hk_child(fail_child, NULL, 30, &c))
		tap_ok(0, "fork");
	else
		tap_ok(c.sig == SIGABRT && strstr(c.line, "operator new(): out of memory"),
		       "throwing new, no libstdc++: abort with a message (signal %d, \"%s\")",
		       c.sig, c.line);
	return tap_done();
}
